/* System clock, SysTick sampling tick and the device microsecond clock. */
#include "board.h"

static volatile uint32_t ticks;       /* SysTick interrupts since start */
static uint32_t tick_us = 500;        /* microseconds per tick */
static uint32_t cycles_per_us = SYSCLK_HZ / 1000000u;

void gpio_mode(uint32_t port, unsigned pin, unsigned mode, unsigned af)
{
    GPIO_MODER(port) = (GPIO_MODER(port) & ~(3u << (2 * pin))) | (mode << (2 * pin));
    GPIO_OSPEEDR(port) |= 2u << (2 * pin);   /* fast: 921600 baud and 5 MHz SPI edges */
    if (mode == 2) {
        uint32_t i = pin / 8u, sh = 4u * (pin % 8u);
        GPIO_AFR(port, i) = (GPIO_AFR(port, i) & ~(0xFu << sh)) | (af << sh);
    }
}

void gpio_pull(uint32_t port, unsigned pin, unsigned pull)
{
    GPIO_PUPDR(port) = (GPIO_PUPDR(port) & ~(3u << (2 * pin))) | (pull << (2 * pin));
}

#ifndef BOARD_QEMU
/* Every wait on hardware is bounded: QEMU does not model RCC (ready bits read 0), and a dead
 * crystal on a real board must not hang the device silently. */
static bool wait_set(volatile uint32_t *reg, uint32_t mask)
{
    for (uint32_t i = 0; i < 2000000u; i++)
        if (*reg & mask)
            return true;
    return false;
}
#endif

bool clock_init(void)
{
#ifdef BOARD_QEMU
    /* QEMU runs the core at 168 MHz without any RCC programming. */
    return true;
#else
    RCC_APB1ENR |= RCC_APB1_PWR;
    PWR_CR |= PWR_CR_VOS;                               /* regulator scale 1 for 168 MHz */
    RCC_CR |= RCC_CR_HSEON;
    if (!wait_set(&RCC_CR, RCC_CR_HSERDY)) {
        cycles_per_us = 16;                             /* stay on HSI; STATUS reports ERR_CLOCK */
        return false;
    }
    /* 12 MHz HSE (Feather crystal) / M 12 * N 336 / P 2 = 168 MHz; Q 7 -> 48 MHz for USB. */
    RCC_PLLCFGR = 12u | (336u << 6) | (0u << 16) | (1u << 22) | (7u << 24);
    RCC_CR |= RCC_CR_PLLON;
    if (!wait_set(&RCC_CR, RCC_CR_PLLRDY)) {
        cycles_per_us = 16;
        return false;
    }
    FLASH_ACR = 5u | (1u << 8) | (1u << 9) | (1u << 10);   /* 5 wait states, prefetch, caches */
    RCC_CFGR = (RCC_CFGR & ~0xFCF3u) | (5u << 10) | (4u << 13) | 2u;   /* APB1 /4, APB2 /2, PLL */
    for (uint32_t i = 0; i < 100000u && ((RCC_CFGR >> 2) & 3u) != 2u; i++) {
    }
    return ((RCC_CFGR >> 2) & 3u) == 2u;
#endif
}

void systick_start(uint32_t rate_hz)
{
    uint32_t hz = cycles_per_us * 1000000u;
    tick_us = 1000000u / rate_hz;
    SYST_RVR = hz / rate_hz - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u;   /* processor clock, interrupt, enable */
}

void clock_tick_isr(void) { ticks++; }

uint32_t clock_now_us(void)
{
    /* ticks and the down-counter must be read as a pair; a pending SysTick means the counter
     * wrapped after the last interrupt was counted. */
    uint32_t pm = irq_save();
    uint32_t t = ticks, v = SYST_CVR, load = SYST_RVR;
    if (SCB_ICSR & SCB_ICSR_PENDSTSET) {
        t++;
        v = SYST_CVR;
    }
    irq_restore(pm);
    return t * tick_us + (load - v) / cycles_per_us;
}

uint32_t clock_now_ms(void) { return clock_now_us() / 1000u; }

void delay_us(uint32_t us)
{
    uint32_t start = clock_now_us();
    while ((uint32_t)(clock_now_us() - start) < us) {
    }
}
