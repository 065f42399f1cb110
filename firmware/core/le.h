/* Little-endian field access. The wire format is little-endian regardless of the CPU. */
#ifndef BF_LE_H
#define BF_LE_H
#include <stdint.h>
#include <string.h>

static inline void put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void put_i24(uint8_t *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    p[0] = (uint8_t)u; p[1] = (uint8_t)(u >> 8); p[2] = (uint8_t)(u >> 16);
}
static inline uint16_t get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline int32_t get_i24(const uint8_t *p)
{
    uint32_t u = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16);
    return (u & 0x800000u) ? (int32_t)(u | 0xFF000000u) : (int32_t)u;
}
/* IEEE-754 floats: both targets (x86-64, Cortex-M4) are little-endian, so a memcpy of the
 * native representation is the wire representation. */
static inline void put_f32(uint8_t *p, float v) { memcpy(p, &v, 4); }
static inline void put_f64(uint8_t *p, double v) { memcpy(p, &v, 8); }
static inline float get_f32(const uint8_t *p) { float v; memcpy(&v, p, 4); return v; }
static inline double get_f64(const uint8_t *p) { double v; memcpy(&v, p, 8); return v; }

#endif
