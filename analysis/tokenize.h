/* tokenize.h: splits news text into word and punctuation tokens for entity extraction,
 * in the style of the CoNLL/Penn treebank ("Russia's" -> "Russia" "'s", "U.S." kept whole),
 * with code point and byte offsets, sentence, line and paragraph starts. No I/O. */
#ifndef ARTICLED_TOKENIZE_H
#define ARTICLED_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

/* Token flags. */
#define TOKEN_WORD       0x0001u /* starts with a letter or a digit */
#define TOKEN_ALPHA      0x0002u /* has at least one letter */
#define TOKEN_DIGIT      0x0004u /* has at least one digit */
#define TOKEN_CAP        0x0008u /* first letter is upper or title case */
#define TOKEN_ALLCAPS    0x0010u /* has letters, none of them lower case */
#define TOKEN_LOWER      0x0020u /* first letter is lower case */
#define TOKEN_SENT_START 0x0040u /* first token of a sentence */
#define TOKEN_LINE_START 0x0080u /* first token after a line break */
#define TOKEN_PARA_START 0x0100u /* first token after a blank line (or of the text) */
#define TOKEN_HEADLINE   0x0200u /* in a sentence written in capitals (a headline) */
#define TOKEN_ABBREV     0x0400u /* a word that keeps its final period ("Mr.", "U.S.") */
#define TOKEN_NONASCII   0x0800u /* has a byte >= 0x80 */

struct token {
    size_t byte_start, byte_end; /* bytes of the text, end exclusive */
    size_t cp_start, cp_end;     /* the same span in code points */
    uint32_t flags;              /* TOKEN_* */
};

struct token_list {
    struct token *tokens;
    size_t n, cap;
};

/* Splits text[0..len) (valid UTF-8) into tokens, appended to out (which may be zeroed or
 * reused: it is emptied first). Returns 0, or -1 on allocation failure. out owns its array:
 * release it with tokenize_list_free. */
int tokenize_text(const char *text, size_t len, struct token_list *out);

/* Frees the token array (NULL-safe) and zeroes the list. */
void tokenize_list_free(struct token_list *l);

/* True when the code point counts as a letter for tokenizing (letters and combining marks). */
int tokenize_is_letter(uint32_t cp);

#endif
