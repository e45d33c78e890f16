/* main.c: articled entry point (being built; see issue 2). */
int main(void)
{
    return 0;
}
