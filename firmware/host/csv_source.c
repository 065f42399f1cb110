#include "csv_source.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push(double **a, size_t n, size_t *cap, double v)
{
    if (n >= *cap) {
        size_t nc = *cap ? *cap * 2 : 4096;
        double *p = realloc(*a, nc * sizeof **a);
        if (!p)
            return -1;
        *a = p;
        *cap = nc;
    }
    (*a)[n] = v;
    return 0;
}

int csv_source_load(csv_source_t *c, const char *path)
{
    memset(c, 0, sizeof *c);
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "bfsensor-emu: %s: cannot open\n", path);
        return -1;
    }
    char line[512];
    if (!fgets(line, sizeof line, fp)) {
        fprintf(stderr, "bfsensor-emu: %s: empty file\n", path);
        fclose(fp);
        return -1;
    }
    line[strcspn(line, "\r\n")] = 0;
    int cols;
    if (!strcmp(line, "emg_pfm_uv,emg_abdominal_uv"))
        cols = 2;
    else if (!strcmp(line, "emg_pfm_uv,emg_abdominal_uv,pressure_cmh2o"))
        cols = 3;
    else {
        fprintf(stderr, "bfsensor-emu: %s: header must be 'emg_pfm_uv,emg_abdominal_uv' "
                        "(optionally ',pressure_cmh2o'), got '%s'\n", path, line);
        fclose(fp);
        return -1;
    }
    size_t cap0 = 0, cap1 = 0, cap2 = 0, lineno = 1;
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        if (line[strspn(line, " \t\r\n")] == 0)
            continue;
        double v[3] = { 0, 0, 0 };
        char *p = line, *end;
        for (int k = 0; k < cols; k++) {
            v[k] = strtod(p, &end);
            if (end == p || (k < cols - 1 && *end != ',')) {
                fprintf(stderr, "bfsensor-emu: %s:%zu: expected %d numbers\n", path, lineno, cols);
                fclose(fp);
                csv_source_free(c);
                return -1;
            }
            p = end + 1;
        }
        if (push(&c->pfm, c->rows, &cap0, v[0]) || push(&c->abd, c->rows, &cap1, v[1]) ||
            (cols == 3 && push(&c->press, c->rows, &cap2, v[2]))) {
            fprintf(stderr, "bfsensor-emu: out of memory\n");
            fclose(fp);
            return -1;
        }
        c->rows++;
    }
    fclose(fp);
    if (c->rows == 0) {
        fprintf(stderr, "bfsensor-emu: %s: no samples\n", path);
        return -1;
    }
    return 0;
}

void csv_source_free(csv_source_t *c)
{
    free(c->pfm);
    free(c->abd);
    free(c->press);
    memset(c, 0, sizeof *c);
}
