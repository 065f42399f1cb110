/* --file replay: CSV with header emg_pfm_uv,emg_abdominal_uv[,pressure_cmh2o] at 2 kHz. */
#ifndef BF_CSV_SOURCE_H
#define BF_CSV_SOURCE_H
#include <stddef.h>

typedef struct {
    double *pfm, *abd, *press;  /* press NULL when the file has no pressure column; double so
                                  * raw = round(value / scale) matches a Python reference exactly */
    size_t rows;
} csv_source_t;

int csv_source_load(csv_source_t *c, const char *path);
void csv_source_free(csv_source_t *c);

#endif
