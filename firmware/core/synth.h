/* Physiologically plausible synthetic signals (protocol.md §6.2): band-limited EMG noise shaped
 * by a scenario envelope (rest / contract / relax / Valsalva) and vaginal pressure with
 * breathing. Used for the device's SYNTHETIC mode and the emulator's scenarios. Floating point,
 * so not bit-exact across platforms: tests use the PATTERN instead. */
#ifndef BF_SYNTH_H
#define BF_SYNTH_H
#include <stdint.h>

typedef enum { SCEN_REST = 0, SCEN_CONTRACTIONS, SCEN_DEMO } scenario_t;

typedef struct { float b0, b1, b2, a1, a2, z1, z2; } biquad_t;

typedef struct {
    scenario_t scenario;
    uint32_t rng;
    uint32_t rate_hz;
    biquad_t hp[2], lp[2];
    float norm;             /* makes the band-limited noise unit RMS */
} synth_t;

/* Levels of a scenario at time t seconds (envelope, not the noise). */
typedef struct { float pfm_uv, abd_uv, pressure_cmh2o; } synth_levels_t;

void synth_init(synth_t *s, scenario_t scenario, uint32_t seed, uint32_t emg_rate_hz);
void synth_set_rate(synth_t *s, uint32_t emg_rate_hz);
float synth_period_s(scenario_t scenario);
synth_levels_t synth_levels(scenario_t scenario, float t);
/* One EMG sample (both channels, µV) at scenario time t. */
void synth_emg(synth_t *s, float t, float out_uv[2]);
/* Pressure (cmH2O) at scenario time t. */
float synth_pressure(const synth_t *s, float t);

#define SYNTH_AMP_NOISE_UV 0.5f   /* white amplifier noise added to every EMG channel */

#endif
