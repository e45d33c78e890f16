/* reply.c: being built (issue 2). */
int reply_placeholder(void);
int reply_placeholder(void)
{
    return 0;
}
