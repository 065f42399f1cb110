/* Board configuration: Adafruit Feather STM32F405 Express (default) or QEMU netduinoplus2
 * (BOARD_QEMU). Pin map and rationale: docs/hardware.md. */
#ifndef BF_BOARD_H
#define BF_BOARD_H
#include <stdbool.h>
#include <stdint.h>
#include "regs.h"

#define SYSCLK_HZ 168000000u
#define APB1_HZ   42000000u
#define APB2_HZ   84000000u
#define LINK_BAUD 921600u

#ifdef BOARD_QEMU
/* QEMU's serial0 is USART1; its RCC/PLL, SPI and I2C models are absent. */
#define BOARD_NAME   "qemu-netduinoplus2"
#define LINK_USART   USART1_BASE
#define LINK_IRQ     IRQ_USART1
#define LINK_CLK_HZ  APB2_HZ
#else
#define BOARD_NAME   "feather-f405"
#define LINK_USART   USART3_BASE      /* PB10 TX / PB11 RX: the Feather's TX/RX pins */
#define LINK_IRQ     IRQ_USART3
#define LINK_CLK_HZ  APB1_HZ
#endif

/* clock.c */
bool clock_init(void);                 /* false: HSE/PLL failed, running on the 16 MHz HSI */
void systick_start(uint32_t rate_hz);  /* sampling base tick */
uint32_t clock_now_us(void);
uint32_t clock_now_ms(void);
void delay_us(uint32_t us);

/* uart.c */
void uart_init(void);
int uart_read(uint8_t *buf, int max);          /* bytes received by the RX interrupt */
bool uart_tx_ready(void);
void uart_tx_byte(uint8_t b);

/* gpio helpers (clock.c) */
void gpio_mode(uint32_t port, unsigned pin, unsigned mode, unsigned af);   /* mode: 0 in, 1 out, 2 AF */
void gpio_pull(uint32_t port, unsigned pin, unsigned pull);                /* 0 none, 1 up, 2 down */
static inline void gpio_set(uint32_t port, unsigned pin, bool on)
{
    GPIO_BSRR(port) = on ? (1u << pin) : (1u << (pin + 16u));
}

/* called by the SysTick handler in main.c */
void clock_tick_isr(void);

#endif
