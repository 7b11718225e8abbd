.intel_syntax noprefix
.globl _start
.text
_start:
    lea rsi, [rip + act]
    xor edx, edx
    mov r10d, 8
    mov edi, 15
    mov eax, 13
    syscall
    mov edi, 2
    mov eax, 13
    syscall
    mov edi, 1
    mov eax, 13
    syscall
1:
    mov eax, 34
    syscall
    jmp 1b
handler:
    xor edi, edi
    mov eax, 231
    syscall
.balign 8
act:
    .quad handler
    .quad 0x04000000
    .quad handler
    .quad 0
