/* Host link UART, 8N1 at 921600. RX by interrupt into a ring (bytes must not be lost while the
 * main loop is busy); TX polled from the main loop, one whole frame after another from the core's
 * TX ring (QEMU 7.2 does not raise TX-empty interrupts, so polling works on both). */
#include "board.h"

#define RX_SIZE 512u
static volatile uint8_t rx_buf[RX_SIZE];
static volatile uint32_t rx_head, rx_tail;

void uart_init(void)
{
#ifdef BOARD_QEMU
    RCC_AHB1ENR |= RCC_AHB1_GPIOA;
    RCC_APB2ENR |= RCC_APB2_USART1;
    gpio_mode(GPIOA_BASE, 9, 2, 7);    /* PA9 USART1_TX, AF7 */
    gpio_mode(GPIOA_BASE, 10, 2, 7);   /* PA10 USART1_RX */
#else
    RCC_AHB1ENR |= RCC_AHB1_GPIOB;
    RCC_APB1ENR |= RCC_APB1_USART3;
    gpio_mode(GPIOB_BASE, 10, 2, 7);   /* PB10 USART3_TX, AF7 */
    gpio_mode(GPIOB_BASE, 11, 2, 7);   /* PB11 USART3_RX */
    gpio_pull(GPIOB_BASE, 11, 1);      /* idle high if the isolator side is unpowered */
#endif
    /* OVER8 = 0: BRR = f / baud in 12.4 fixed point. 42 MHz: 45.57 -> 46 (913 kBd, -0.9 %);
     * 84 MHz: 91.1 -> 91 (923 kBd, +0.2 %). Both within the +-2 % a UART tolerates. */
    USART_BRR(LINK_USART) = (LINK_CLK_HZ + LINK_BAUD / 2u) / LINK_BAUD;
    USART_CR1(LINK_USART) = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE | USART_CR1_RXNEIE;
    nvic_enable(LINK_IRQ, 0x40);
}

static void uart_isr(void)
{
    uint32_t sr = USART_SR(LINK_USART);
    if (sr & (USART_SR_RXNE | USART_SR_ORE)) {
        uint8_t b = (uint8_t)USART_DR(LINK_USART);   /* reading DR also clears ORE */
        uint32_t next = (rx_head + 1u) % RX_SIZE;
        if (next != rx_tail) {
            rx_buf[rx_head] = b;
            rx_head = next;
        }
        /* else: dropped; the frame layer's CRC turns it into one rx_error */
    }
}

void USART1_IRQHandler(void) { uart_isr(); }
void USART3_IRQHandler(void) { uart_isr(); }

int uart_read(uint8_t *buf, int max)
{
    int n = 0;
    while (n < max && rx_tail != rx_head) {
        buf[n++] = rx_buf[rx_tail];
        rx_tail = (rx_tail + 1u) % RX_SIZE;
    }
    return n;
}

bool uart_tx_ready(void) { return (USART_SR(LINK_USART) & USART_SR_TXE) != 0; }
void uart_tx_byte(uint8_t b) { USART_DR(LINK_USART) = b; }
