/* SPDX-License-Identifier: MIT */
/*
 * A bare-metal multiboot guest for kho-qemu-check's tests (tests/e2e/
 * qemu_check.sh). QEMU loads it with -kernel and plants two generated
 * images with -device loader: A at DST, B at SRC. The guest prints
 * KHO-STAGE-1 on COM1, waits about 2^32 TSC ticks (the checker stops it
 * meanwhile), copies B over A, as an outgoing kernel would replace one
 * handover with another, prints KHO-STAGE-2, and halts.
 * Built with: cpp -DSRC=.. -DDST=.. -DLEN=.. | as --32; ld -m elf_i386.
 */
	.set MB_MAGIC, 0x1BADB002
	.set MB_FLAGS, 0

	.section .text
	.globl _start
	.align 4
multiboot:
	.long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

_start:
	mov $stack_top, %esp
	mov $msg1, %esi
	call puts
	/* wait 2^32 TSC ticks (a second or two) */
	rdtsc
	mov %eax, %edi
	lea 1(%edx), %ebx
1:	rdtsc
	cmp %ebx, %edx
	jb 1b
	ja 5f
	cmp %edi, %eax
	jb 1b
5:
	/* B over A */
	mov $SRC, %esi
	mov $DST, %edi
	mov $(LEN / 4), %ecx
	cld
	rep movsl
	mov $msg2, %esi
	call puts
2:	cli
	hlt
	jmp 2b

/* the NUL-terminated string at %esi to COM1 */
puts:
	mov $0x3f8, %dx
3:	movb (%esi), %al
	test %al, %al
	jz 4f
	outb %al, %dx
	inc %esi
	jmp 3b
4:	ret

	.section .data
msg1:	.asciz "KHO-STAGE-1\n"
msg2:	.asciz "KHO-STAGE-2\n"

	.section .bss
	.align 16
	.skip 4096
stack_top:
