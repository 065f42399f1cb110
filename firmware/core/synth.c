#include "synth.h"
#include <math.h>
#include "rng.h"

#define PI_F 3.14159265f

/* ---- filters: RBJ cookbook 2nd-order Butterworth (Q = 1/sqrt 2) ---- */
static void biquad_design(biquad_t *f, int highpass, float fc, float fs)
{
    float w = 2.0f * PI_F * fc / fs, cw = cosf(w), al = sinf(w) / (2.0f * 0.70710678f);
    float a0 = 1.0f + al;
    float k = highpass ? (1.0f + cw) / 2.0f : (1.0f - cw) / 2.0f;
    f->b0 = k / a0;
    f->b1 = (highpass ? -2.0f * k : 2.0f * k) / a0;
    f->b2 = k / a0;
    f->a1 = -2.0f * cw / a0;
    f->a2 = (1.0f - al) / a0;
    f->z1 = f->z2 = 0.0f;
}

static float biquad_run(biquad_t *f, float x)
{
    float y = f->b0 * x + f->z1;
    f->z1 = f->b1 * x - f->a1 * y + f->z2;
    f->z2 = f->b2 * x - f->a2 * y;
    return y;
}

static float band_noise(synth_t *s, int ch)
{
    return biquad_run(&s->lp[ch], biquad_run(&s->hp[ch], rng_gauss(&s->rng)));
}

void synth_set_rate(synth_t *s, uint32_t emg_rate_hz)
{
    float fs = (float)emg_rate_hz, lp = 450.0f;
    if (lp > 0.45f * fs)
        lp = 0.45f * fs;
    s->rate_hz = emg_rate_hz;
    for (int c = 0; c < 2; c++) {
        biquad_design(&s->hp[c], 1, 20.0f, fs);
        biquad_design(&s->lp[c], 0, lp, fs);
    }
    /* Calibrate the gain empirically instead of from the filters' noise bandwidth: simpler, and
     * exact for these coefficients. 4096 samples give the RMS to about 1 %. */
    s->norm = 1.0f;
    double acc = 0.0;
    for (int i = 0; i < 4096 + 256; i++) {
        float v = band_noise(s, 0);
        if (i >= 256)
            acc += (double)v * v;
    }
    s->norm = (float)(1.0 / sqrt(acc / 4096.0));
    for (int c = 0; c < 2; c++) {
        s->hp[c].z1 = s->hp[c].z2 = s->lp[c].z1 = s->lp[c].z2 = 0.0f;
    }
}

void synth_init(synth_t *s, scenario_t scenario, uint32_t seed, uint32_t emg_rate_hz)
{
    s->scenario = scenario;
    s->rng = seed ? seed : 1u;
    synth_set_rate(s, emg_rate_hz);
}

/* ---- scenarios ---- */

/* One muscle action: from t0 for dur seconds, the pfm level moves from rest to target (fatiguing
 * linearly to target_end), abdominal to abd, pressure adds press; rise and relax times differ
 * between quick flicks and holds. */
typedef struct {
    float t0, dur, pfm, pfm_end, abd, press, rise, tau;
} action_t;

#define REST_PFM 2.0f
#define REST_ABD 3.0f
#define REST_PRESS 20.0f

static const action_t contractions[] = {
    { 10.0f, 5.0f, 40.0f, 32.0f, 5.0f, 20.0f, 0.3f, 0.5f },
};

static const action_t demo[] = {
    /* five quick flicks, 2 s on / 4 s off */
    { 20.0f, 2.0f, 50.0f, 48.0f, 4.0f, 15.0f, 0.15f, 0.3f },
    { 26.0f, 2.0f, 50.0f, 48.0f, 4.0f, 15.0f, 0.15f, 0.3f },
    { 32.0f, 2.0f, 50.0f, 48.0f, 4.0f, 15.0f, 0.15f, 0.3f },
    { 38.0f, 2.0f, 50.0f, 48.0f, 4.0f, 15.0f, 0.15f, 0.3f },
    { 44.0f, 2.0f, 50.0f, 48.0f, 4.0f, 15.0f, 0.15f, 0.3f },
    /* three 10 s holds with 10 s rest */
    { 50.0f, 10.0f, 35.0f, 28.0f, 5.0f, 18.0f, 0.3f, 0.5f },
    { 70.0f, 10.0f, 35.0f, 28.0f, 5.0f, 18.0f, 0.3f, 0.5f },
    { 90.0f, 10.0f, 35.0f, 28.0f, 5.0f, 18.0f, 0.3f, 0.5f },
    /* Valsalva: pelvic floor drops below rest while the abdomen pushes */
    { 110.0f, 6.0f, 1.2f, 1.2f, 30.0f, 25.0f, 0.5f, 0.5f },
};

float synth_period_s(scenario_t scenario)
{
    switch (scenario) {
    case SCEN_CONTRACTIONS: return 20.0f;
    case SCEN_DEMO: return 130.0f;
    default: return 60.0f;
    }
}

/* Activation 0..1 of an action at time t (smoothstep rise, exponential relax). */
static float activation(const action_t *a, float t, float *progress)
{
    float u = t - a->t0;
    *progress = 0.0f;
    if (u < 0.0f)
        return 0.0f;
    if (u < a->dur) {
        float x = u / a->rise;
        *progress = u / a->dur;
        return x >= 1.0f ? 1.0f : x * x * (3.0f - 2.0f * x);
    }
    *progress = 1.0f;
    return expf(-(u - a->dur) / a->tau);
}

synth_levels_t synth_levels(scenario_t scenario, float t)
{
    synth_levels_t l = { REST_PFM, REST_ABD, REST_PRESS };
    const action_t *acts = 0;
    unsigned n = 0;
    if (scenario == SCEN_CONTRACTIONS) { acts = contractions; n = sizeof contractions / sizeof *contractions; }
    if (scenario == SCEN_DEMO) { acts = demo; n = sizeof demo / sizeof *demo; }
    float period = synth_period_s(scenario);
    t = fmodf(t, period);
    for (unsigned i = 0; i < n; i++) {
        float prog, a = activation(&acts[i], t, &prog);
        float pa, ap = activation(&acts[i], t - 0.3f, &pa);   /* pressure lags the muscle */
        if (a <= 0.0f && ap <= 0.0f)
            continue;
        float target = acts[i].pfm + (acts[i].pfm_end - acts[i].pfm) * prog;
        l.pfm_uv += a * (target - REST_PFM);
        l.abd_uv += a * (acts[i].abd - REST_ABD);
        l.pressure_cmh2o += ap * acts[i].press;
    }
    l.pressure_cmh2o += 0.8f * sinf(2.0f * PI_F * 0.25f * t);   /* breathing, 15 /min */
    return l;
}

void synth_emg(synth_t *s, float t, float out_uv[2])
{
    synth_levels_t l = synth_levels(s->scenario, t);
    /* Envelope RMS = physiological RMS; amplifier noise adds in quadrature on top. */
    out_uv[0] = l.pfm_uv * s->norm * band_noise(s, 0) + SYNTH_AMP_NOISE_UV * rng_gauss(&s->rng);
    out_uv[1] = l.abd_uv * s->norm * band_noise(s, 1) + SYNTH_AMP_NOISE_UV * rng_gauss(&s->rng);
}

float synth_pressure(const synth_t *s, float t)
{
    return synth_levels(s->scenario, t).pressure_cmh2o;
}
