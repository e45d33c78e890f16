/* ner_train.c: trains the NER model (structured averaged perceptron, Viterbi over BIO tags
 * of PER/ORG/LOC/MISC, sentence by sentence) on a CoNLL-2003 file and writes the weights.
 *
 *   build-ner/tools/ner_train [--epochs N] [--seed S] [--min-count C] [--prune W] [--dev DEV.txt] \
 *       ../shared/data/ner/conllpp_train.txt data/ner_model.bin
 *
 * Deterministic for a given seed. With --dev, prints the model's own span F1 on DEV after
 * each epoch (JSON lines on stderr) to choose --epochs; the dev file is never trained on. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/gazetteer.h"
#include "analysis/ner_conll.h"
#include "analysis/ner_features.h"
#include "analysis/ner_model.h"
#include "analysis/tokenize.h"
#include "tools/tool_util.h"

struct sent {
    size_t first, n; /* tokens [first, first + n) of the corpus arrays */
};

struct data {
    uint32_t *feat; /* dense feature indices of every token, concatenated */
    size_t *foff;   /* token t's features: feat[foff[t]..foff[t+1]) */
    uint8_t *gold;
    size_t ntok, cap_tok, nfeat_total, cap_feat;
    struct sent *sents;
    size_t nsent, cap_sent;
};

/* Feature hash (low 32 bits) -> dense index. */
struct fmap {
    uint32_t *keys, *idx;
    size_t mask, n;
};

static uint32_t fmap_get(struct fmap *m, uint32_t key, int add)
{
    size_t j;
    key = key ? key : 1;
    if (add && (m->n + 1) * 2 > m->mask + 1) {
        size_t cap = m->mask ? (m->mask + 1) * 2 : 1u << 20;
        uint32_t *k = calloc(cap, 4), *x = calloc(cap, 4);
        if (k == NULL || x == NULL) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        for (size_t i = 0; m->mask && i <= m->mask; i++) {
            if (!m->keys[i])
                continue;
            size_t p = m->keys[i] & (cap - 1);
            while (k[p])
                p = (p + 1) & (cap - 1);
            k[p] = m->keys[i];
            x[p] = m->idx[i];
        }
        free(m->keys);
        free(m->idx);
        m->keys = k;
        m->idx = x;
        m->mask = cap - 1;
    }
    if (m->mask == 0)
        return UINT32_MAX;
    j = key & m->mask;
    while (m->keys[j] && m->keys[j] != key)
        j = (j + 1) & m->mask;
    if (!m->keys[j]) {
        if (!add)
            return UINT32_MAX;
        m->keys[j] = key;
        m->idx[j] = (uint32_t)m->n++;
    }
    return m->idx[j];
}

/* Gold tag of each of our tokens from the CoNLL tokens (a CoNLL token split in several of
 * ours continues as I-). */
static void align(const struct nerconll_doc *doc, const struct token_list *toks, uint8_t *gold)
{
    size_t c = 0;
    for (size_t i = 0; i < toks->n; i++) {
        size_t b = toks->tokens[i].byte_start;
        while (c + 1 < doc->ntokens && doc->byte_end[c] <= b)
            c++;
        int tag = doc->tags[c];
        if (tag != NER_O && nermodel_tag_type((enum ner_tag)tag) >= 0 && b > doc->byte_start[c] &&
            (tag - 1) % 2 == 0)
            tag += 1;
        gold[i] = (uint8_t)tag;
    }
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    p = realloc(p, c * size);
    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    *cap = c;
    return p;
}

/* Turns a corpus into sentences of feature-index lists (adding features when add). */
static void featurize(const struct nerconll_corpus *corpus, const struct gazetteer *g,
                      struct fmap *fm, int add, struct data *out)
{
    struct token_list toks = {0};
    uint64_t fv[NERFEAT_MAX];
    size_t fcap_tok = 0, gcap = 0;

    memset(out, 0, sizeof *out);
    for (size_t di = 0; di < corpus->ndocs; di++) {
        const struct nerconll_doc *doc = &corpus->docs[di];
        struct nerfeat_doc fd;
        if (tokenize_text(doc->text, doc->len, &toks) != 0 ||
            nerfeat_doc_build(&fd, g, doc->text, toks.tokens, toks.n) != 0) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        out->gold = grow(out->gold, &gcap, out->ntok + toks.n, 1);
        align(doc, &toks, out->gold + out->ntok);
        out->foff = grow(out->foff, &fcap_tok, out->ntok + toks.n + 1, sizeof *out->foff);
        for (size_t i = 0; i < toks.n; i++) {
            size_t nf = nerfeat_extract(&fd, i, fv);
            if (toks.tokens[i].flags & TOKEN_SENT_START || i == 0) {
                out->sents = grow(out->sents, &out->cap_sent, out->nsent + 1, sizeof *out->sents);
                out->sents[out->nsent].first = out->ntok + i;
                out->sents[out->nsent].n = 0;
                out->nsent++;
            }
            out->sents[out->nsent - 1].n++;
            out->foff[out->ntok + i] = out->nfeat_total;
            out->feat = grow(out->feat, &out->cap_feat, out->nfeat_total + nf, sizeof *out->feat);
            for (size_t k = 0; k < nf; k++) {
                uint32_t ix = fmap_get(fm, (uint32_t)fv[k], add);
                if (ix == UINT32_MAX)
                    continue;
                out->feat[out->nfeat_total++] = ix;
            }
        }
        out->ntok += toks.n;
        out->foff[out->ntok] = out->nfeat_total;
        nerfeat_doc_free(&fd);
    }
    tokenize_list_free(&toks);
}

/* Viterbi over one sentence with weights w (nfeat * NTAGS) and transitions tr. */
static void viterbi(const struct data *dt, const struct sent *s, const float *w, const float *tr,
                    uint8_t *out, float *score, uint8_t *back)
{
    float prev[NER_NTAGS], cur[NER_NTAGS];
    for (size_t i = 0; i < s->n; i++) {
        size_t t = s->first + i;
        float emit[NER_NTAGS] = {0};
        for (size_t k = dt->foff[t]; k < dt->foff[t + 1]; k++) {
            const float *fw = w + (size_t)dt->feat[k] * NER_NTAGS;
            for (int y = 0; y < NER_NTAGS; y++)
                emit[y] += fw[y];
        }
        for (int y = 0; y < NER_NTAGS; y++) {
            float best = -1e30f;
            int arg = 0;
            if (i == 0) {
                if (nermodel_tag_allowed(NER_NTAGS, y))
                    best = tr[NER_NTAGS * NER_NTAGS + y];
            } else {
                for (int p = 0; p < NER_NTAGS; p++) {
                    if (!nermodel_tag_allowed(p, y) || prev[p] <= -1e29f)
                        continue;
                    float v = prev[p] + tr[p * NER_NTAGS + y];
                    if (v > best) {
                        best = v;
                        arg = p;
                    }
                }
            }
            cur[y] = best <= -1e29f ? best : best + emit[y];
            back[i * NER_NTAGS + y] = (uint8_t)arg;
        }
        memcpy(prev, cur, sizeof prev);
    }
    int best = 0;
    for (int y = 1; y < NER_NTAGS; y++)
        if (prev[y] > prev[best])
            best = y;
    for (size_t i = s->n; i-- > 0;) {
        out[i] = (uint8_t)best;
        best = back[i * NER_NTAGS + best];
    }
    (void)score;
}

/* Entity spans of a tag sequence compared with gold: counts per type (PER ORG LOC MISC). */
static void span_counts(const uint8_t *gold, const uint8_t *pred, size_t n, long *tp, long *np,
                        long *ng)
{
    for (size_t i = 0; i < n; i++) {
        int gt = nermodel_tag_type((enum ner_tag)gold[i]);
        int pt = nermodel_tag_type((enum ner_tag)pred[i]);
        int gb = gt >= 0 && (gold[i] - 1) % 2 == 0, pb = pt >= 0 && (pred[i] - 1) % 2 == 0;
        size_t ge = i, pe = i;
        if (gb) {
            ng[gt]++;
            while (ge + 1 < n && gold[ge + 1] == gold[i] + 1)
                ge++;
        }
        if (pb) {
            np[pt]++;
            while (pe + 1 < n && pred[pe + 1] == pred[i] + 1)
                pe++;
        }
        if (gb && pb && gt == pt && ge == pe)
            tp[gt]++;
    }
}

static double dev_f1(const struct data *dev, const float *w, const float *tr, long *tp, long *np,
                     long *ng)
{
    uint8_t *pred = malloc(dev->ntok + 1), *back = malloc(dev->ntok * NER_NTAGS + NER_NTAGS);
    long TP = 0, NP = 0, NG = 0;
    memset(tp, 0, 4 * sizeof *tp);
    memset(np, 0, 4 * sizeof *np);
    memset(ng, 0, 4 * sizeof *ng);
    for (size_t s = 0; s < dev->nsent; s++) {
        const struct sent *st = &dev->sents[s];
        viterbi(dev, st, w, tr, pred + st->first, NULL, back);
        span_counts(dev->gold + st->first, pred + st->first, st->n, tp, np, ng);
    }
    for (int k = 0; k < 3; k++) {
        TP += tp[k];
        NP += np[k];
        NG += ng[k];
    }
    free(pred);
    free(back);
    return NP && NG && TP ? 2.0 * TP / (NP + NG) : 0.0;
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

int main(int argc, char **argv)
{
    int epochs = 12, min_count = 1;
    double prune = 0;
    uint64_t seed = 1;
    const char *dev_path = NULL, *train_path = NULL, *out_path = NULL;
    struct error err = {0};
    const struct gazetteer *g;
    struct nerconll_corpus train_c, dev_c = {0};
    struct data train, dev = {0};
    struct fmap fm = {0};
    char *buf;
    size_t len;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc)
            epochs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--min-count") == 0 && i + 1 < argc)
            min_count = atoi(argv[++i]);
        else if (strcmp(argv[i], "--prune") == 0 && i + 1 < argc)
            prune = atof(argv[++i]);
        else if (strcmp(argv[i], "--dev") == 0 && i + 1 < argc)
            dev_path = argv[++i];
        else if (!train_path)
            train_path = argv[i];
        else
            out_path = argv[i];
    }
    if (!train_path || !out_path) {
        fprintf(stderr, "usage: ner_train [--epochs N] [--seed S] [--min-count C] [--dev DEV] "
                        "TRAIN.txt OUT.bin\n");
        return 2;
    }
    if (seed == 0)
        seed = 1;
    g = gazetteer_shared(&err);
    if (g == NULL) {
        fprintf(stderr, "gazetteer: %s\n", err.msg);
        return 1;
    }
    buf = tool_read_file(train_path, &len);
    if (buf == NULL || nerconll_parse(buf, len, &train_c) != 0) {
        fprintf(stderr, "%s: %s\n", train_path, strerror(errno));
        return 1;
    }
    free(buf);
    featurize(&train_c, g, &fm, 1, &train);
    fprintf(stderr, "train: %zu docs, %zu sentences, %zu tokens, %zu features\n", train_c.ndocs,
            train.nsent, train.ntok, fm.n);
    if (dev_path) {
        buf = tool_read_file(dev_path, &len);
        if (buf == NULL || nerconll_parse(buf, len, &dev_c) != 0) {
            fprintf(stderr, "%s: cannot read\n", dev_path);
            return 1;
        }
        free(buf);
        featurize(&dev_c, g, &fm, 0, &dev);
    }

    /* feature counts, for --min-count */
    uint32_t *count = calloc(fm.n + 1, sizeof *count);
    for (size_t k = 0; k < train.nfeat_total; k++)
        count[train.feat[k]]++;

    size_t nw = fm.n * NER_NTAGS, ntr = (NER_NTAGS + 1) * NER_NTAGS;
    float *w = calloc(nw, sizeof *w), *u = calloc(nw, sizeof *u);
    float *avg = calloc(nw, sizeof *avg);
    float tr[(NER_NTAGS + 1) * NER_NTAGS] = {0}, tru[(NER_NTAGS + 1) * NER_NTAGS] = {0};
    float travg[(NER_NTAGS + 1) * NER_NTAGS];
    size_t *order = malloc(train.nsent * sizeof *order);
    size_t maxlen = 1;
    for (size_t s = 0; s < train.nsent; s++) {
        order[s] = s;
        if (train.sents[s].n > maxlen)
            maxlen = train.sents[s].n;
    }
    uint8_t *pred = malloc(maxlen), *back = malloc(maxlen * NER_NTAGS);
    float c = 1;
    if (!w || !u || !avg || !order || !pred || !back || !count) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    for (int ep = 1; ep <= epochs; ep++) {
        long mistakes = 0;
        for (size_t s = train.nsent; s > 1; s--) {
            size_t j = rng_next(&seed) % s, tmp = order[s - 1];
            order[s - 1] = order[j];
            order[j] = tmp;
        }
        for (size_t oi = 0; oi < train.nsent; oi++) {
            const struct sent *st = &train.sents[order[oi]];
            const uint8_t *gold = train.gold + st->first;
            viterbi(&train, st, w, tr, pred, NULL, back);
            if (memcmp(pred, gold, st->n) != 0) {
                mistakes++;
                for (size_t i = 0; i < st->n; i++) {
                    size_t t = st->first + i;
                    int gp = i ? gold[i - 1] : NER_NTAGS, pp = i ? pred[i - 1] : NER_NTAGS;
                    if (gold[i] != pred[i]) {
                        for (size_t k = train.foff[t]; k < train.foff[t + 1]; k++) {
                            size_t f = train.feat[k];
                            if (count[f] < (uint32_t)min_count)
                                continue;
                            w[f * NER_NTAGS + gold[i]] += 1;
                            u[f * NER_NTAGS + gold[i]] += c;
                            w[f * NER_NTAGS + pred[i]] -= 1;
                            u[f * NER_NTAGS + pred[i]] -= c;
                        }
                    }
                    if (gold[i] != pred[i] || gp != pp) {
                        tr[gp * NER_NTAGS + gold[i]] += 1;
                        tru[gp * NER_NTAGS + gold[i]] += c;
                        tr[pp * NER_NTAGS + pred[i]] -= 1;
                        tru[pp * NER_NTAGS + pred[i]] -= c;
                    }
                }
            }
            c += 1;
        }
        for (size_t k = 0; k < nw; k++)
            avg[k] = w[k] - u[k] / c;
        for (size_t k = 0; k < ntr; k++)
            travg[k] = tr[k] - tru[k] / c;
        fprintf(stderr, "{\"epoch\": %d, \"sentences_wrong\": %ld", ep, mistakes);
        if (dev_path) {
            long tp[4], np[4], ng[4];
            double f1 = dev_f1(&dev, avg, travg, tp, np, ng);
            static const char *names[] = {"PER", "ORG", "LOC"};
            fprintf(stderr, ", \"dev_f1\": %.4f", f1);
            for (int k = 0; k < 3; k++)
                fprintf(stderr, ", \"%s\": %.4f", names[k],
                        np[k] + ng[k] ? 2.0 * tp[k] / (double)(np[k] + ng[k]) : 0.0);
        }
        fprintf(stderr, "}\n");
    }

    /* --prune: features whose weights are all small go (a smaller, faster model) */
    if (prune > 0) {
        size_t kept = 0;
        for (size_t f = 0; f < fm.n; f++) {
            float mx = 0;
            for (int y = 0; y < NER_NTAGS; y++)
                mx = fmaxf(mx, fabsf(avg[f * NER_NTAGS + y]));
            if (mx < prune)
                memset(avg + f * NER_NTAGS, 0, NER_NTAGS * sizeof *avg);
            else
                kept++;
        }
        fprintf(stderr, "pruned to %zu features\n", kept);
        if (dev_path) {
            long tp[4], np[4], ng[4];
            fprintf(stderr, "{\"pruned_dev_f1\": %.4f}\n", dev_f1(&dev, avg, travg, tp, np, ng));
        }
    }
    /* dense index -> hash key */
    uint32_t *keys = malloc((fm.n + 1) * sizeof *keys);
    for (size_t j = 0; j <= fm.mask; j++)
        if (fm.keys[j])
            keys[fm.idx[j]] = fm.keys[j];
    unsigned char *out;
    size_t out_len;
    if (nermodel_serialize(keys, avg, fm.n, travg, &out, &out_len) != 0) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    FILE *f = fopen(out_path, "wb");
    if (f == NULL || fwrite(out, 1, out_len, f) != out_len || fclose(f) != 0) {
        fprintf(stderr, "%s: %s\n", out_path, strerror(errno));
        return 1;
    }
    fprintf(stderr, "wrote %s: %zu bytes\n", out_path, out_len);
    free(out);
    free(keys);
    free(w);
    free(u);
    free(avg);
    free(order);
    free(pred);
    free(back);
    free(count);
    free(train.feat);
    free(train.foff);
    free(train.gold);
    free(train.sents);
    free(dev.feat);
    free(dev.foff);
    free(dev.gold);
    free(dev.sents);
    free(fm.keys);
    free(fm.idx);
    nerconll_free(&train_c);
    nerconll_free(&dev_c);
    return 0;
}
