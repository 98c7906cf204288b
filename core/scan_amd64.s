//go:build !purego && !tinygo

#include "textflag.h"

// Bytes repeated over 16 lanes: the largest control character below
// space, DEL and the colon.
DATA scanConst<>+0x00(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA scanConst<>+0x08(SB)/8, $0x1f1f1f1f1f1f1f1f
DATA scanConst<>+0x10(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA scanConst<>+0x18(SB)/8, $0x7f7f7f7f7f7f7f7f
DATA scanConst<>+0x20(SB)/8, $0x3a3a3a3a3a3a3a3a
DATA scanConst<>+0x28(SB)/8, $0x3a3a3a3a3a3a3a3a
GLOBL scanConst<>(SB), RODATA|NOPTR, $48

// One 16-byte lane group at off(SI): its control characters
// (x == min(x, 0x1f), or x == 0x7f) to R8's bits and its colons to R9's,
// each 16 bits shifted up by sh.
#define GROUP(off, sh) \
	MOVOU   off(SI), X0 \
	MOVO    X0, X2      \
	PMINUB  X8, X2      \
	PCMPEQB X0, X2      \
	MOVO    X0, X3      \
	PCMPEQB X10, X3     \
	POR     X3, X2      \
	PCMPEQB X11, X0     \
	PMOVMSKB X2, AX     \
	PMOVMSKB X0, BX     \
	SHLQ    $sh, AX     \
	SHLQ    $sh, BX     \
	ORQ     AX, R8      \
	ORQ     BX, R9

// func mapBlocksSSE2(b []byte, ctl, colon []uint64)
TEXT ·mapBlocksSSE2(SB), NOSPLIT, $0-72
	MOVQ b_base+0(FP), SI
	MOVQ ctl_base+24(FP), DI
	MOVQ ctl_len+32(FP), CX
	MOVQ colon_base+48(FP), DX
	MOVOU scanConst<>+0x00(SB), X8
	MOVOU scanConst<>+0x10(SB), X10
	MOVOU scanConst<>+0x20(SB), X11
	TESTQ CX, CX
	JEQ   done
sse2:
	XORQ R8, R8
	XORQ R9, R9
	GROUP(0, 0)
	GROUP(16, 16)
	GROUP(32, 32)
	GROUP(48, 48)
	MOVQ R8, (DI)
	MOVQ R9, (DX)
	ADDQ $64, SI
	ADDQ $8, DI
	ADDQ $8, DX
	DECQ CX
	JNE  sse2
done:
	RET

// The same with 32-byte lane groups: R8 gets the control characters, R9
// the colons, of the group at off(SI), shifted up by sh.
#define GROUP32(off, sh) \
	VMOVDQU   off(SI), Y0    \
	VPMINUB   Y8, Y0, Y2     \
	VPCMPEQB  Y0, Y2, Y2     \
	VPCMPEQB  Y10, Y0, Y3    \
	VPOR      Y3, Y2, Y2     \
	VPCMPEQB  Y11, Y0, Y0    \
	VPMOVMSKB Y2, AX         \
	VPMOVMSKB Y0, BX         \
	SHLQ      $sh, AX        \
	SHLQ      $sh, BX        \
	ORQ       AX, R8         \
	ORQ       BX, R9

// func mapBlocksAVX2(b []byte, ctl, colon []uint64)
TEXT ·mapBlocksAVX2(SB), NOSPLIT, $0-72
	MOVQ b_base+0(FP), SI
	MOVQ ctl_base+24(FP), DI
	MOVQ ctl_len+32(FP), CX
	MOVQ colon_base+48(FP), DX
	TESTQ CX, CX
	JEQ   avx2done
	VBROADCASTI128 scanConst<>+0x00(SB), Y8
	VBROADCASTI128 scanConst<>+0x10(SB), Y10
	VBROADCASTI128 scanConst<>+0x20(SB), Y11
avx2:
	MOVL $0, R8
	MOVL $0, R9
	GROUP32(0, 0)
	GROUP32(32, 32)
	MOVQ R8, (DI)
	MOVQ R9, (DX)
	ADDQ $64, SI
	ADDQ $8, DI
	ADDQ $8, DX
	DECQ CX
	JNE  avx2
	VZEROUPPER
avx2done:
	RET
