/* fuzz_wbxml.c — libFuzzer target for the WBXML codec (make fuzz).
 *
 * Any input: decode (tight limits so the fuzzer explores structure, not size). If it decodes:
 * encode must succeed; the result must decode; re-encoding that tree must give identical bytes
 * (the codec reaches a fixed point after one round), and the two trees must serialize alike.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "eas_wbxml.h"

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    xmlSetGenericErrorFunc(NULL, quiet);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eas_wbxml_limits lim;
    xmlDocPtr d1 = NULL, d2 = NULL, d3 = NULL;
    unsigned char *w1 = NULL, *w2 = NULL;
    size_t l1 = 0, l2 = 0;
    char err[256];
    int rc;

    eas_wbxml_limits_default(&lim);
    lim.max_input = 1 << 20;
    lim.max_depth = 32;
    lim.max_string = 1 << 16;
    lim.max_tags = 10000;

    rc = eas_wbxml_decode(data, size, &lim, &d1, err, sizeof(err));
    if (rc) {
        if (d1 || !err[0]) {
            abort(); /* errors must leave *out NULL and explain themselves */
        }
        return 0;
    }
    rc = eas_wbxml_encode(d1, &w1, &l1, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "encode of a decoded tree failed: %s\n", err);
        abort();
    }
    rc = eas_wbxml_decode(w1, l1, NULL, &d2, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "re-decode failed: %s\n", err);
        abort();
    }
    rc = eas_wbxml_encode(d2, &w2, &l2, err, sizeof(err));
    if (rc || l1 != l2 || memcmp(w1, w2, l1) != 0) {
        fprintf(stderr, "re-encode differs (rc=%d, %zu vs %zu bytes)\n", rc, l1, l2);
        abort();
    }
    /* and the second decode equals the third */
    rc = eas_wbxml_decode(w2, l2, NULL, &d3, err, sizeof(err));
    if (rc) {
        abort();
    }
    {
        xmlChar *x2 = NULL, *x3 = NULL;
        int n2 = 0, n3 = 0;
        xmlDocDumpMemory(d2, &x2, &n2);
        xmlDocDumpMemory(d3, &x3, &n3);
        if (n2 != n3 || (n2 && memcmp(x2, x3, (size_t)n2) != 0)) {
            fprintf(stderr, "decoded trees differ\n");
            abort();
        }
        xmlFree(x2);
        xmlFree(x3);
    }
    xmlFreeDoc(d1);
    xmlFreeDoc(d2);
    xmlFreeDoc(d3);
    free(w1);
    free(w2);
    return 0;
}
