/* STM32F405 registers used by this firmware, from RM0090 (reference manual) and PM0214 (Cortex-M4
 * programming manual). Hand-written because no vendor header/HAL is packaged in Debian; only what
 * is used is listed. */
#ifndef BF_REGS_H
#define BF_REGS_H
#include <stdint.h>

#define REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* RCC */
#define RCC_BASE        0x40023800u
#define RCC_CR          REG(RCC_BASE + 0x00)
#define RCC_PLLCFGR     REG(RCC_BASE + 0x04)
#define RCC_CFGR        REG(RCC_BASE + 0x08)
#define RCC_AHB1ENR     REG(RCC_BASE + 0x30)
#define RCC_APB1ENR     REG(RCC_BASE + 0x40)
#define RCC_APB2ENR     REG(RCC_BASE + 0x44)
#define RCC_CR_HSEON    (1u << 16)
#define RCC_CR_HSERDY   (1u << 17)
#define RCC_CR_PLLON    (1u << 24)
#define RCC_CR_PLLRDY   (1u << 25)
#define RCC_AHB1_GPIOA  (1u << 0)
#define RCC_AHB1_GPIOB  (1u << 1)
#define RCC_AHB1_GPIOC  (1u << 2)
#define RCC_APB1_SPI2   (1u << 14)
#define RCC_APB1_USART3 (1u << 18)
#define RCC_APB1_I2C1   (1u << 21)
#define RCC_APB1_PWR    (1u << 28)
#define RCC_APB2_USART1 (1u << 4)
#define RCC_APB2_SYSCFG (1u << 14)

#define FLASH_ACR       REG(0x40023C00u)
#define PWR_CR          REG(0x40007000u)
#define PWR_CR_VOS      (1u << 14)

/* GPIO */
#define GPIOA_BASE 0x40020000u
#define GPIOB_BASE 0x40020400u
#define GPIOC_BASE 0x40020800u
#define GPIO_MODER(b)   REG((b) + 0x00)
#define GPIO_OTYPER(b)  REG((b) + 0x04)
#define GPIO_OSPEEDR(b) REG((b) + 0x08)
#define GPIO_PUPDR(b)   REG((b) + 0x0C)
#define GPIO_IDR(b)     REG((b) + 0x10)
#define GPIO_BSRR(b)    REG((b) + 0x18)
#define GPIO_AFR(b, i)  REG((b) + 0x20 + 4u * (i))

/* USART (USART1 on APB2 84 MHz, USART3 on APB1 42 MHz) */
#define USART1_BASE 0x40011000u
#define USART3_BASE 0x40004800u
#define USART_SR(b)  REG((b) + 0x00)
#define USART_DR(b)  REG((b) + 0x04)
#define USART_BRR(b) REG((b) + 0x08)
#define USART_CR1(b) REG((b) + 0x0C)
#define USART_SR_ORE  (1u << 3)
#define USART_SR_RXNE (1u << 5)
#define USART_SR_TXE  (1u << 7)
#define USART_CR1_RE     (1u << 2)
#define USART_CR1_TE     (1u << 3)
#define USART_CR1_RXNEIE (1u << 5)
#define USART_CR1_UE     (1u << 13)

/* SPI2 (APB1 42 MHz) */
#define SPI2_BASE 0x40003800u
#define SPI_CR1(b) REG((b) + 0x00)
#define SPI_SR(b)  REG((b) + 0x08)
#define SPI_DR(b)  REG((b) + 0x0C)
#define SPI_SR_RXNE (1u << 0)
#define SPI_SR_TXE  (1u << 1)
#define SPI_SR_BSY  (1u << 7)

/* I2C1 (APB1 42 MHz) */
#define I2C1_BASE 0x40005400u
#define I2C_CR1(b)   REG((b) + 0x00)
#define I2C_CR2(b)   REG((b) + 0x04)
#define I2C_DR(b)    REG((b) + 0x10)
#define I2C_SR1(b)   REG((b) + 0x14)
#define I2C_SR2(b)   REG((b) + 0x18)
#define I2C_CCR(b)   REG((b) + 0x1C)
#define I2C_TRISE(b) REG((b) + 0x20)
#define I2C_CR1_PE    (1u << 0)
#define I2C_CR1_START (1u << 8)
#define I2C_CR1_STOP  (1u << 9)
#define I2C_CR1_ACK   (1u << 10)
#define I2C_CR1_SWRST (1u << 15)
#define I2C_SR1_SB    (1u << 0)
#define I2C_SR1_ADDR  (1u << 1)
#define I2C_SR1_BTF   (1u << 2)
#define I2C_SR1_RXNE  (1u << 6)
#define I2C_SR1_TXE   (1u << 7)
#define I2C_SR1_AF    (1u << 10)

/* EXTI / SYSCFG */
#define EXTI_IMR   REG(0x40013C00u)
#define EXTI_FTSR  REG(0x40013C0Cu)
#define EXTI_PR    REG(0x40013C14u)
#define SYSCFG_EXTICR(i) REG(0x40013808u + 4u * (i))

/* Cortex-M4 core */
#define SYST_CSR   REG(0xE000E010u)
#define SYST_RVR   REG(0xE000E014u)
#define SYST_CVR   REG(0xE000E018u)
#define SCB_ICSR   REG(0xE000ED04u)
#define SCB_CPACR  REG(0xE000ED88u)
#define SCB_ICSR_PENDSTSET (1u << 26)
#define NVIC_ISER(i) REG(0xE000E100u + 4u * (i))
#define NVIC_IPR8(irq) (*(volatile uint8_t *)(uintptr_t)(0xE000E400u + (irq)))

/* IRQ numbers (RM0090 table 61) */
#define IRQ_EXTI9_5 23
#define IRQ_USART1  37
#define IRQ_USART3  39

/* 96-bit unique device ID */
#define UID_BASE 0x1FFF7A10u

static inline uint32_t irq_save(void)
{
    uint32_t primask;
    __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    return primask;
}
static inline void irq_restore(uint32_t primask)
{
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}
static inline void nvic_enable(unsigned irq, uint8_t prio)
{
    NVIC_IPR8(irq) = prio;
    NVIC_ISER(irq / 32u) = 1u << (irq % 32u);
}

#endif
