/* ABP2 driver: blocking, time-bounded I2C1 master transfers (PB6 SCL, PB7 SDA, AF4, 400 kHz) from
 * the main loop. Measurement: write AA 00 00, wait for the busy bit to clear (~5 ms at the default
 * settings), read 7 bytes: status, 24-bit pressure, 24-bit temperature. */
#include "abp2.h"
#include "../../core/abp2_conv.h"
#include "board.h"

#define ADDR 0x28u
#define STATUS_BUSY  0x20u
#define STATUS_ERR   0x05u     /* memory integrity error | math saturation */

static bool present;
static volatile int32_t latest;
static uint32_t started_us;
static bool converting;
static uint8_t failures;

static bool wait_sr1(uint32_t mask)
{
    for (uint32_t i = 0; i < 20000u; i++) {
        uint32_t sr = I2C_SR1(I2C1_BASE);
        if (sr & I2C_SR1_AF)
            return false;
        if (sr & mask)
            return true;
    }
    return false;
}

static bool start(uint8_t addr_rw)
{
    I2C_CR1(I2C1_BASE) |= I2C_CR1_START;
    if (!wait_sr1(I2C_SR1_SB))
        return false;
    I2C_DR(I2C1_BASE) = addr_rw;
    if (!wait_sr1(I2C_SR1_ADDR))
        return false;
    return true;
}

static void stop(void)
{
    I2C_SR1(I2C1_BASE) &= ~I2C_SR1_AF;
    I2C_CR1(I2C1_BASE) |= I2C_CR1_STOP;
}

static bool write3(uint8_t a, uint8_t b, uint8_t c)
{
    if (!start((uint8_t)(ADDR << 1))) { stop(); return false; }
    (void)I2C_SR2(I2C1_BASE);              /* clears ADDR */
    const uint8_t d[3] = { a, b, c };
    for (int i = 0; i < 3; i++) {
        I2C_DR(I2C1_BASE) = d[i];
        if (!wait_sr1(I2C_SR1_TXE)) { stop(); return false; }
    }
    if (!wait_sr1(I2C_SR1_BTF)) { stop(); return false; }
    stop();
    return true;
}

/* RM0090 §27.3.3 master receiver, N > 2: ACK all but the last byte; NACK + STOP around the end. */
static bool read_n(uint8_t *buf, unsigned n)
{
    I2C_CR1(I2C1_BASE) |= I2C_CR1_ACK;
    if (!start((uint8_t)((ADDR << 1) | 1u))) { stop(); return false; }
    if (n == 1)
        I2C_CR1(I2C1_BASE) &= ~I2C_CR1_ACK;   /* single byte: NACK before ADDR is cleared */
    (void)I2C_SR2(I2C1_BASE);
    for (unsigned i = 0; i < n; i++) {
        if (i == n - 1) {
            I2C_CR1(I2C1_BASE) &= ~I2C_CR1_ACK;
            I2C_CR1(I2C1_BASE) |= I2C_CR1_STOP;
        }
        if (!wait_sr1(I2C_SR1_RXNE)) { stop(); return false; }
        buf[i] = (uint8_t)I2C_DR(I2C1_BASE);
    }
    return true;
}

bool abp2_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1_GPIOB;
    RCC_APB1ENR |= RCC_APB1_I2C1;
    gpio_mode(GPIOB_BASE, 6, 2, 4);
    gpio_mode(GPIOB_BASE, 7, 2, 4);
    GPIO_OTYPER(GPIOB_BASE) |= (1u << 6) | (1u << 7);   /* open drain; 2.2 k pull-ups on the board */
    I2C_CR1(I2C1_BASE) = I2C_CR1_SWRST;
    I2C_CR1(I2C1_BASE) = 0;
    I2C_CR2(I2C1_BASE) = APB1_HZ / 1000000u;            /* FREQ = 42 */
    I2C_CCR(I2C1_BASE) = (1u << 15) | (APB1_HZ / (3u * 400000u));   /* fast mode, duty 2:1 */
    I2C_TRISE(I2C1_BASE) = APB1_HZ / 1000000u * 300u / 1000u + 1u;  /* 300 ns max rise */
    I2C_CR1(I2C1_BASE) = I2C_CR1_PE;
    uint8_t st[1];
    /* A read of the status byte answers if the sensor is there and powered (bit 6). */
    present = read_n(st, 1) && (st[0] & 0x40u);
    latest = 0;
    return present;
}

bool abp2_present(void) { return present; }
int32_t abp2_latest(void) { return latest; }

void abp2_poll(uint32_t now_us)
{
    if (!present)
        return;
    if (!converting) {
        if (write3(0xAA, 0x00, 0x00)) {
            converting = true;
            started_us = now_us;
        } else if (++failures > 10) {
            present = false;                 /* STATUS then reports ERR_PRESSURE */
        }
        return;
    }
    if ((uint32_t)(now_us - started_us) < 5000u)
        return;
    uint8_t d[7];
    converting = false;
    if (!read_n(d, 7) || (d[0] & STATUS_BUSY) || (d[0] & STATUS_ERR)) {
        if (++failures > 10)
            present = false;
        return;
    }
    failures = 0;
    latest = abp2_counts_to_mcmh2o(((uint32_t)d[1] << 16) | ((uint32_t)d[2] << 8) | d[3]);
}
