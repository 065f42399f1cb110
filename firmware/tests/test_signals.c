#include "check.h"
#include <math.h>
#include "../core/abp2_conv.h"
#include "../core/desc.h"
#include "../core/synth.h"
#include "../core/testsig.h"

void test_signals(void)
{
    /* Pattern values from protocol.md §6.3. */
    const int32_t pfm[5] = { 0, 3001, 6002, 9003, 12004 };
    const int32_t abd[5] = { 8388607, 8386608, 8384609, 8382610, 8380611 };
    for (uint32_t n = 0; n < 5; n++) {
        CHECK_EQ(pattern_emg(n, 0), pfm[n]);
        CHECK_EQ(pattern_emg(n, 1), abd[n]);
    }
    CHECK_EQ(pattern_pressure(0), -20000);
    CHECK_EQ(pattern_pressure(5), -14955);
    CHECK_EQ(pattern_pressure(0xFFFFFFFFu), (int32_t)((0xFFFFFFFFull * 1009u) % 300000u) - 20000);
    CHECK_EQ(pattern_emg(2796, 0), 3001 * 2796 - 16777216);   /* first negative value */
    for (uint32_t n = 0; n < 70000; n++) {
        int32_t v = pattern_emg(n, 0);
        CHECK(v >= -8388608 && v <= 8388607);
        if (v < -8388608 || v > 8388607) break;
    }

    /* ABP2 transfer function A: 10 % of 2^24 = 0, 90 % = full scale, rails match the HELLO range. */
    CHECK_EQ(abp2_counts_to_mcmh2o(1677722), 0);
    CHECK_EQ(abp2_counts_to_mcmh2o(15099494), 351535);
    CHECK_EQ(abp2_counts_to_mcmh2o(0), PRESSURE_RAW_MIN);
    CHECK_EQ(abp2_counts_to_mcmh2o(16777215), PRESSURE_RAW_MAX);

    /* Test square: period 2048 at 2 kHz, high first. */
    CHECK_EQ(testsig_square(0, 2000), TESTSIG_AMPLITUDE);
    CHECK_EQ(testsig_square(1023, 2000), TESTSIG_AMPLITUDE);
    CHECK_EQ(testsig_square(1024, 2000), -TESTSIG_AMPLITUDE);
    CHECK_EQ(testsig_square(2048, 2000), TESTSIG_AMPLITUDE);
    CHECK_EQ(testsig_square(256, 500), -TESTSIG_AMPLITUDE);

    /* Synthetic EMG: RMS at rest ~ sqrt(2^2 + 0.5^2) uV, contraction ~ 40 uV. */
    synth_t s;
    synth_init(&s, SCEN_CONTRACTIONS, 1, 2000);
    double acc_rest = 0, acc_con = 0;
    int nr = 0, nc = 0;
    for (int i = 0; i < 20 * 2000; i++) {
        float t = (float)i / 2000.0f, uv[2];
        synth_emg(&s, t, uv);
        if (t >= 1.0f && t < 9.0f) { acc_rest += (double)uv[0] * uv[0]; nr++; }
        if (t >= 11.0f && t < 12.0f) { acc_con += (double)uv[0] * uv[0]; nc++; }
    }
    double rest = sqrt(acc_rest / nr), con = sqrt(acc_con / nc);
    CHECK(rest > 1.8 && rest < 2.4);
    CHECK(con > 33.0 && con < 45.0);
    float p_rest = synth_pressure(&s, 5.0f), p_con = synth_pressure(&s, 12.0f);
    CHECK(p_rest > 18.0f && p_rest < 22.0f);
    CHECK(p_con > 35.0f && p_con < 42.0f);
    /* Valsalva in the demo: pfm below rest, abdominal and pressure up. */
    synth_levels_t v = synth_levels(SCEN_DEMO, 113.0f);
    CHECK(v.pfm_uv < 2.0f && v.abd_uv > 20.0f && v.pressure_cmh2o > 40.0f);
}
