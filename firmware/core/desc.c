#include "desc.h"
#include "protocol.h"

void sensor_v1_streams(stream_desc_t streams[2], channel_desc_t emg[2], channel_desc_t *pressure,
                       float emg_noise_rms)
{
    static const char *const emg_labels[2] = { "pfm", "abdominal" };
    for (int c = 0; c < 2; c++) {
        channel_desc_t *e = &emg[c];
        e->kind = KIND_EMG;
        e->scale = EMG_UV_PER_COUNT;
        e->offset = 0.0;
        e->phys_min = -8388608.0 * EMG_UV_PER_COUNT;
        e->phys_max = 8388607.0 * EMG_UV_PER_COUNT;
        e->resolution = (float)EMG_UV_PER_COUNT;
        e->noise_rms = emg_noise_rms;
        e->hp_hz = 0.0f;                 /* ADS1299 is DC coupled; the host filters */
        e->lp_hz = 0.0f;
        e->lp_rate_factor = 0.262f;      /* sinc3 decimation filter -3 dB point */
        e->leadoff_bit = (uint8_t)(2 * c);
        e->unit = "uV";
        e->label = emg_labels[c];
    }
    pressure->kind = KIND_PRESSURE;
    pressure->scale = PRESSURE_PER_COUNT;
    pressure->offset = 0.0;
    pressure->phys_min = PRESSURE_RAW_MIN * PRESSURE_PER_COUNT;
    pressure->phys_max = PRESSURE_RAW_MAX * PRESSURE_PER_COUNT;
    pressure->resolution = (float)PRESSURE_PER_COUNT;
    pressure->noise_rms = 0.0f;
    pressure->hp_hz = 0.0f;
    pressure->lp_hz = 0.0f;
    pressure->lp_rate_factor = 0.0f;
    pressure->leadoff_bit = 0xFF;
    pressure->unit = "cmH2O";
    pressure->label = "pressure";

    stream_desc_t *s = &streams[STREAM_EMG];
    s->id = STREAM_EMG;
    s->n_channels = 2;
    s->format = FMT_INT24;
    s->default_rate = 2000;
    s->block_ms = 10;
    s->n_rates = 3;
    s->rates[0] = 500; s->rates[1] = 1000; s->rates[2] = 2000; s->rates[3] = 0;
    s->name = "emg";
    s->channels = emg;

    s = &streams[STREAM_PRESSURE];
    s->id = STREAM_PRESSURE;
    s->n_channels = 1;
    s->format = FMT_INT32;
    s->default_rate = 100;
    s->block_ms = 50;
    s->n_rates = 1;
    s->rates[0] = 100; s->rates[1] = s->rates[2] = s->rates[3] = 0;
    s->name = "pressure";
    s->channels = pressure;
}
