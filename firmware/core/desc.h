/* Self-description of a sensor (what HELLO reports, protocol.md §3.1-3.3). */
#ifndef BF_DESC_H
#define BF_DESC_H
#include <stdint.h>

typedef struct {
    uint8_t kind;             /* KIND_* */
    double scale, offset;     /* physical = raw * scale + offset */
    double phys_min, phys_max;
    float resolution;
    float noise_rms;          /* 0 = unknown */
    float hp_hz;              /* 0 = DC coupled */
    float lp_hz;              /* fixed corner, used when lp_rate_factor == 0 */
    float lp_rate_factor;     /* corner = factor * rate (ADS1299 sinc3: 0.262) */
    uint8_t leadoff_bit;      /* 0xFF = none */
    const char *unit, *label;
} channel_desc_t;

#define MAX_RATES 4
typedef struct {
    uint8_t id, n_channels, format;
    uint32_t default_rate;
    uint16_t block_ms;        /* block length: block_samples = rate * block_ms / 1000 */
    uint8_t n_rates;
    uint32_t rates[MAX_RATES];
    const char *name;
    const channel_desc_t *channels;
} stream_desc_t;

typedef struct {
    uint8_t fw_major, fw_minor, fw_patch;
    uint8_t modes;            /* bit m = MODE m supported */
    const char *board, *serial, *build;
    uint8_t n_streams;
    const stream_desc_t *streams;
} device_desc_t;

/* The v1 sensor: stream 0 = 2 x EMG (pfm, abdominal) int24, stream 1 = pressure int32.
 * emg_noise_rms is platform specific (0 on hardware until measured). */
void sensor_v1_streams(stream_desc_t streams[2], channel_desc_t emg[2], channel_desc_t *pressure,
                       float emg_noise_rms);

/* Raw-count constants shared by generators and drivers. */
#define EMG_UV_PER_COUNT   (375000.0 / 16777216.0)   /* 2*4.5 V / (24 * 2^24) */
#define PRESSURE_PER_COUNT 0.001                       /* cmH2O */
#define PRESSURE_RAW_MIN   (-43942)                    /* ABP2 0 counts, 0-5 psi gauge */
#define PRESSURE_RAW_MAX   395477                      /* ABP2 2^24-1 counts */

#endif
