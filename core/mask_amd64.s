//go:build !purego && !tinygo

#include "textflag.h"

// Both kernels XOR the whole of b with key, a 4-byte masking key (already
// rotated so that its low byte goes with b[0]) repeated over 64 bits. Any
// length and alignment is allowed. After a run of 1 or 2 bytes the key is
// rotated right by 8 or 16 bits so that its low byte goes with the next one;
// runs of 4, 8, 16 or 32 bytes keep the key's phase.

// func mask(key uint32, pos int, b []byte) int
TEXT ·mask(SB), NOSPLIT, $0-48
	MOVL key+0(FP), AX
	MOVQ pos+8(FP), CX
	MOVQ b_base+16(FP), DI
	MOVQ b_len+24(FP), BX
	LEAQ (CX)(BX*1), DX
	ANDQ $3, DX
	MOVQ DX, ret+40(FP)  // the position after b
	ANDQ $3, CX
	SHLQ $3, CX
	RORL CX, AX          // the key byte for b[0] to the bottom
	MOVQ AX, DX
	SHLQ $32, DX
	ORQ  DX, AX          // and repeated over 64 bits
	MOVQ BX, CX
	CMPB ·useAVX2(SB), $0
	JEQ  sse2
	JMP  avx2body<>(SB)

sse2:
	JMP sse2body<>(SB)

// func maskSSE2(b []byte, key uint64)
TEXT ·maskSSE2(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), DI
	MOVQ b_len+8(FP), CX
	MOVQ key+24(FP), AX
	JMP  sse2body<>(SB)

// sse2body masks the CX bytes at DI with the key in AX, and returns (to
// the caller of the function that jumped here).
TEXT sse2body<>(SB), NOSPLIT, $0
	MOVQ AX, X0
	PUNPCKLQDQ X0, X0

	CMPQ CX, $64
	JB   sse16

	PCALIGN $32

sse64:
	MOVOU (DI), X1
	MOVOU 16(DI), X2
	MOVOU 32(DI), X3
	MOVOU 48(DI), X4
	PXOR  X0, X1
	PXOR  X0, X2
	PXOR  X0, X3
	PXOR  X0, X4
	MOVOU X1, (DI)
	MOVOU X2, 16(DI)
	MOVOU X3, 32(DI)
	MOVOU X4, 48(DI)
	ADDQ  $64, DI
	SUBQ  $64, CX
	CMPQ  CX, $64
	JAE   sse64

sse16:
	CMPQ CX, $16
	JB   tail8
	MOVOU (DI), X1
	PXOR  X0, X1
	MOVOU X1, (DI)
	ADDQ  $16, DI
	SUBQ  $16, CX
	JMP   sse16

tail8:
	// CX < 16: one run each of 8, 4, 2 and 1 bytes as its bits say.
	TESTQ $8, CX
	JZ    tail4
	XORQ  AX, (DI)
	ADDQ  $8, DI

tail4:
	TESTQ $4, CX
	JZ    tail2
	XORL  AX, (DI)
	ADDQ  $4, DI

tail2:
	TESTQ $2, CX
	JZ    tail1
	XORW  AX, (DI)
	ADDQ  $2, DI
	RORQ  $16, AX

tail1:
	TESTQ $1, CX
	JZ    done
	XORB  AL, (DI)

done:
	RET

// func maskAVX2(b []byte, key uint64)
TEXT ·maskAVX2(SB), NOSPLIT, $0-32
	MOVQ b_base+0(FP), DI
	MOVQ b_len+8(FP), CX
	MOVQ key+24(FP), AX
	JMP  avx2body<>(SB)

// avx2body is sse2body with AVX2.
TEXT avx2body<>(SB), NOSPLIT, $0

	// For long payloads, first bring DI to a 32-byte boundary (at most 31
	// bytes in runs of 1, 2, 4, 8 and 16) so that no 32-byte access of the
	// main loop straddles two cache lines.
	CMPQ CX, $256
	JB   main

	TESTQ $1, DI
	JZ    align2
	XORB  AL, (DI)
	INCQ  DI
	DECQ  CX
	RORQ  $8, AX

align2:
	TESTQ $2, DI
	JZ    align4
	XORW  AX, (DI)
	ADDQ  $2, DI
	SUBQ  $2, CX
	RORQ  $16, AX

align4:
	TESTQ $4, DI
	JZ    align8
	XORL  AX, (DI)
	ADDQ  $4, DI
	SUBQ  $4, CX

align8:
	TESTQ $8, DI
	JZ    align16
	XORQ  AX, (DI)
	ADDQ  $8, DI
	SUBQ  $8, CX

align16:
	TESTQ $16, DI
	JZ    main
	MOVQ  AX, X0
	PUNPCKLQDQ X0, X0
	MOVOU (DI), X1
	PXOR  X0, X1
	MOVOU X1, (DI)
	ADDQ  $16, DI
	SUBQ  $16, CX

main:
	MOVQ         AX, X0
	VPBROADCASTQ X0, Y0
	MOVQ         CX, R8
	ANDQ         $~255, R8 // bytes in whole 256-byte blocks
	JZ           avx32
	ADDQ         DI, R8    // where the blocks end
	ANDQ         $255, CX  // what is left after them

	PCALIGN $32

avx256:
	VPXOR   (DI), Y0, Y1
	VPXOR   32(DI), Y0, Y2
	VPXOR   64(DI), Y0, Y3
	VPXOR   96(DI), Y0, Y4
	VPXOR   128(DI), Y0, Y5
	VPXOR   160(DI), Y0, Y6
	VPXOR   192(DI), Y0, Y7
	VPXOR   224(DI), Y0, Y8
	VMOVDQU Y1, (DI)
	VMOVDQU Y2, 32(DI)
	VMOVDQU Y3, 64(DI)
	VMOVDQU Y4, 96(DI)
	VMOVDQU Y5, 128(DI)
	VMOVDQU Y6, 160(DI)
	VMOVDQU Y7, 192(DI)
	VMOVDQU Y8, 224(DI)
	ADDQ    $256, DI
	CMPQ    DI, R8
	JB      avx256

avx32:
	CMPQ    CX, $32
	JB      avxdone
	VPXOR   (DI), Y0, Y1
	VMOVDQU Y1, (DI)
	ADDQ    $32, DI
	SUBQ    $32, CX
	JMP     avx32

avxdone:
	VZEROUPPER

	// CX < 32; X0 still holds the key in its low 128 bits.
	TESTQ $16, CX
	JZ    tail8
	MOVOU (DI), X1
	PXOR  X0, X1
	MOVOU X1, (DI)
	ADDQ  $16, DI

tail8:
	TESTQ $8, CX
	JZ    tail4
	XORQ  AX, (DI)
	ADDQ  $8, DI

tail4:
	TESTQ $4, CX
	JZ    tail2
	XORL  AX, (DI)
	ADDQ  $4, DI

tail2:
	TESTQ $2, CX
	JZ    tail1
	XORW  AX, (DI)
	ADDQ  $2, DI
	RORQ  $16, AX

tail1:
	TESTQ $1, CX
	JZ    done
	XORB  AL, (DI)

done:
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET
