/* ADS1299-4 driver. Pins (Feather STM32F405): SPI2 SCK PB13, MISO PB14, MOSI PB15 (AF5);
 * CS PB9 (D10), DRDY PC6 (D6, EXTI6, falling edge), START PC7 (D5), RESET PB8 (D9); PWDN tied
 * high on the analog board. Datasheet references: SBAS499C §9.5 (SPI commands), §9.6 (registers),
 * §10.1.2 (power-up sequence). */
#include "ads1299.h"
#include "board.h"

/* SPI commands */
#define CMD_WAKEUP  0x02
#define CMD_RESET   0x06
#define CMD_START   0x08
#define CMD_STOP    0x0A
#define CMD_RDATAC  0x10
#define CMD_SDATAC  0x11
#define CMD_RREG    0x20
#define CMD_WREG    0x40

/* Registers */
#define REG_ID         0x00
#define REG_CONFIG1    0x01
#define REG_CONFIG2    0x02
#define REG_CONFIG3    0x03
#define REG_LOFF       0x04
#define REG_CH1SET     0x05
#define REG_BIAS_SENSP 0x0D
#define REG_BIAS_SENSN 0x0E
#define REG_LOFF_SENSP 0x0F
#define REG_LOFF_SENSN 0x10
#define REG_MISC1      0x15
#define REG_CONFIG4    0x17

#define CS_PORT    GPIOB_BASE
#define CS_PIN     9
#define RESET_PORT GPIOB_BASE
#define RESET_PIN  8
#define START_PORT GPIOC_BASE
#define START_PIN  7
#define DRDY_PIN   6          /* PC6 */

static bool present;
static volatile uint16_t last_lead_off;

static uint8_t spi_xfer(uint8_t out)
{
    for (uint32_t i = 0; i < 10000u && !(SPI_SR(SPI2_BASE) & SPI_SR_TXE); i++) {
    }
    *(volatile uint8_t *)&SPI_DR(SPI2_BASE) = out;
    for (uint32_t i = 0; i < 10000u && !(SPI_SR(SPI2_BASE) & SPI_SR_RXNE); i++) {
    }
    return *(volatile uint8_t *)&SPI_DR(SPI2_BASE);
}

static void cs(bool active) { gpio_set(CS_PORT, CS_PIN, !active); }

/* Multi-byte commands need t_SDECODE = 4 t_CLK (~2 us at 2.048 MHz) between bytes. */
static void command(uint8_t c)
{
    cs(true);
    spi_xfer(c);
    delay_us(3);
    cs(false);
}

static void wreg(uint8_t reg, uint8_t val)
{
    cs(true);
    spi_xfer((uint8_t)(CMD_WREG | reg));
    delay_us(3);
    spi_xfer(0);          /* n - 1 = 0: one register */
    delay_us(3);
    spi_xfer(val);
    delay_us(3);
    cs(false);
}

static uint8_t rreg(uint8_t reg)
{
    cs(true);
    spi_xfer((uint8_t)(CMD_RREG | reg));
    delay_us(3);
    spi_xfer(0);
    delay_us(3);
    uint8_t v = spi_xfer(0);
    cs(false);
    return v;
}

static void pins_init(void)
{
    RCC_AHB1ENR |= RCC_AHB1_GPIOB | RCC_AHB1_GPIOC;
    RCC_APB1ENR |= RCC_APB1_SPI2;
    RCC_APB2ENR |= RCC_APB2_SYSCFG;
    gpio_mode(GPIOB_BASE, 13, 2, 5);
    gpio_mode(GPIOB_BASE, 14, 2, 5);
    gpio_mode(GPIOB_BASE, 15, 2, 5);
    gpio_set(CS_PORT, CS_PIN, true);
    gpio_mode(CS_PORT, CS_PIN, 1, 0);
    gpio_set(START_PORT, START_PIN, false);   /* conversions are started by command */
    gpio_mode(START_PORT, START_PIN, 1, 0);
    gpio_set(RESET_PORT, RESET_PIN, true);
    gpio_mode(RESET_PORT, RESET_PIN, 1, 0);
    gpio_mode(GPIOC_BASE, DRDY_PIN, 0, 0);
    gpio_pull(GPIOC_BASE, DRDY_PIN, 1);
    /* SPI mode 1 (CPOL 0, CPHA 1), master, software CS, 42 MHz / 8 = 5.25 MHz. */
    SPI_CR1(SPI2_BASE) = (1u << 0) | (1u << 2) | (2u << 3) | (1u << 8) | (1u << 9) | (1u << 6);
    /* DRDY falling edge -> EXTI6 (port C = 2 in SYSCFG_EXTICR2 bits 11:8). */
    SYSCFG_EXTICR(1) = (SYSCFG_EXTICR(1) & ~(0xFu << 8)) | (2u << 8);
    EXTI_FTSR |= 1u << DRDY_PIN;
}

bool ads1299_init(void)
{
    pins_init();
    delay_us(150000);                     /* t_POR: 2^18 t_CLK = 128 ms after power-up */
    gpio_set(RESET_PORT, RESET_PIN, false);
    delay_us(10);                         /* >= 2 t_CLK */
    gpio_set(RESET_PORT, RESET_PIN, true);
    delay_us(20);                         /* 18 t_CLK before the first command */
    command(CMD_SDATAC);                  /* the chip wakes up in RDATAC */
    uint8_t id = rreg(REG_ID);
    /* ID: REV_ID[7:5], 1, DEV_ID[3:2] = 11, NU_CH[1:0] = 00 for 4 channels. */
    present = (id & 0x1Fu) == 0x1Cu;
    if (!present)
        return false;
    wreg(REG_CONFIG3, 0xEC);              /* internal reference on, BIASREF internal, bias buffer on */
    delay_us(150000);                     /* reference settling */
    wreg(REG_LOFF, 0x00);                 /* DC lead-off, 6 nA, 95 % comparator threshold */
    wreg(REG_LOFF_SENSP, 0x03);           /* lead-off on IN1P, IN2P */
    wreg(REG_LOFF_SENSN, 0x03);           /* and IN1N, IN2N */
    wreg(REG_BIAS_SENSP, 0x03);           /* bias derived from channels 1 and 2 */
    wreg(REG_BIAS_SENSN, 0x03);
    wreg(REG_CONFIG4, 0x02);              /* lead-off comparators on, continuous mode */
    wreg(REG_MISC1, 0x00);                /* SRB1 open: bipolar inputs */
    wreg(REG_CH1SET + 2, 0x81);           /* channels 3, 4: powered down, inputs shorted */
    wreg(REG_CH1SET + 3, 0x81);
    return true;
}

bool ads1299_present(void) { return present; }

void ads1299_start(uint32_t rate_hz, bool test_signal)
{
    if (!present)
        return;
    ads1299_stop();
    /* CONFIG1: bit 7 reserved 1, bit 4 reserved 1, DR[2:0] 011 = 2k, 100 = 1k, 101 = 500 SPS. */
    uint8_t dr = rate_hz >= 2000u ? 3u : rate_hz >= 1000u ? 4u : 5u;
    wreg(REG_CONFIG1, (uint8_t)(0x90u | dr));
    /* CONFIG2: reserved 110, INT_CAL, CAL_AMP 0 (VREF/2400), CAL_FREQ 00 (f_CLK / 2^21). */
    wreg(REG_CONFIG2, test_signal ? 0xD0 : 0xC0);
    /* CHnSET: gain 24 (110), SRB2 off, MUX 000 normal / 101 test signal. */
    uint8_t chset = test_signal ? 0x65 : 0x60;
    wreg(REG_CH1SET, chset);
    wreg(REG_CH1SET + 1, chset);
    EXTI_PR = 1u << DRDY_PIN;
    EXTI_IMR |= 1u << DRDY_PIN;
    nvic_enable(IRQ_EXTI9_5, 0x20);       /* above the UART: a missed DRDY loses a sample */
    command(CMD_RDATAC);
    command(CMD_START);
}

void ads1299_stop(void)
{
    if (!present)
        return;
    EXTI_IMR &= ~(1u << DRDY_PIN);
    command(CMD_STOP);
    command(CMD_SDATAC);
}

uint16_t ads1299_lead_off(void) { return last_lead_off; }

static int32_t s24(const uint8_t *p)
{
    uint32_t u = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];   /* MSB first on SPI */
    return (u & 0x800000u) ? (int32_t)(u | 0xFF000000u) : (int32_t)u;
}

void EXTI9_5_IRQHandler(void)
{
    uint32_t t_us = clock_now_us();
    EXTI_PR = 1u << DRDY_PIN;
    /* RDATAC frame for the 4-channel part: 24 status bits + 4 x 24 data bits = 15 bytes. */
    uint8_t f[15];
    cs(true);
    for (unsigned i = 0; i < sizeof f; i++)
        f[i] = spi_xfer(0);
    cs(false);
    /* Status: 1100 | LOFF_STATP[7:0] | LOFF_STATN[7:0] | GPIO[7:4]; bit 0 of each = channel 1. */
    uint32_t st = ((uint32_t)f[0] << 16) | ((uint32_t)f[1] << 8) | f[2];
    uint8_t p = (uint8_t)(st >> 12), n = (uint8_t)(st >> 4);
    uint16_t lo = 0;
    for (unsigned ch = 0; ch < 2; ch++) {
        if (p & (1u << ch)) lo |= (uint16_t)(1u << (2 * ch));
        if (n & (1u << ch)) lo |= (uint16_t)(1u << (2 * ch + 1));
    }
    last_lead_off = lo;
    int32_t v[2] = { s24(f + 3), s24(f + 6) };
    ads1299_on_sample(v, lo, t_us);
}
