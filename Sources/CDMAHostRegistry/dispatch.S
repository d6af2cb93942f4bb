/*
 * DMAHost — the data-path dispatchers of spdk/dma.h: spdk_memory_domain_pull_data, _push_data,
 * _transfer_data, _translate_data, _memzero and _invalidate_data.
 *
 * Each one is two instructions on its usual path: the NULL check of the domain (-ENOTSUP, or
 * nothing for invalidate) and a jump through the callback slot of the record, every argument
 * left in its register or on the stack as the caller put it, so the callback returns straight
 * to the caller. That is one check and one indirect jump fewer than a C dispatcher (SPDK's own
 * dma.c: load, NULL check of the callback, indirect call or jump), and where the instructions
 * went:
 *
 *   - The callback NULL check is gone by layout: a record's callback slots are never NULL. A
 *     slot that was never set, was cleared with NULL, or belongs to a destroyed domain holds
 *     one of the registry's stubs (registry_storage.c), which answers -ENOTSUP (invalidate:
 *     nothing). So a domain without a pull callback still gets -ENOTSUP, and a destroyed
 *     domain in its quarantine too, one call later; the usual path no longer pays for them.
 *   - The load and the jump are one instruction (x86-64: jmp *off(%rdi); AArch64: ldr + br).
 *   - No frame: the build keeps frame pointers in compiled code (SwiftPM passes
 *     -fno-omit-frame-pointer), which costs a Swift or C dispatcher a push, a move and a pop
 *     around a tail call that needs no frame. Written here, the dispatcher has none; a
 *     backtrace taken inside a callback shows the application's frame directly under it.
 *
 * What is checked is unchanged: a NULL domain is refused, and nothing else is looked up on
 * the data path (a pointer that is not a domain was never checked here, as in SPDK: dispatch
 * reads the record). The registry's checks of foreign and destroyed pointers belong to
 * destroy, the setters and get_next, which look the pointer up before they touch it.
 *
 * Benchmarks/CABI/run.sh counts the instructions of spdk_memory_domain_pull_data against a
 * plain C implementation in the same run. Other architectures build dispatch_portable.c, the
 * same dispatchers in C.
 */
#include "dispatch_layout.h"

/* FUNCTION(name) ... END(name): a global function symbol with its size and unwind frame. */
#define FUNCTION(name) \
	.globl name; \
	.type name, %function; \
	.p2align 4; \
name: \
	.cfi_startproc
#define END(name) \
	.cfi_endproc; \
	.size name, . - name

#if defined(__x86_64__)

/* JUMP_TO(slot): jump to the callback in the slot of the domain (%rdi) unless the domain is
 * NULL, then fall through to what follows. */
#define JUMP_TO(slot) \
	testq %rdi, %rdi; \
	jz 1f; \
	jmpq *slot(%rdi); \
1:
#define RETURN_NULL_RC movl $DMAHOST_DISPATCH_NULL_RC, %eax; retq
#define RETURN retq

#elif defined(__aarch64__)

/* The same with the domain in x0. */
#define JUMP_TO(slot) \
	cbz x0, 1f; \
	ldr x16, [x0, slot]; \
	br x16; \
1:
#define RETURN_NULL_RC mov w0, DMAHOST_DISPATCH_NULL_RC; ret
#define RETURN ret

#endif

/* DISPATCH(name, slot): NULL_RC for a NULL domain, else its callback. DISPATCH_VOID: the same
 * for a callback without a result (invalidate). */
#define DISPATCH(name, slot) FUNCTION(name); JUMP_TO(slot); RETURN_NULL_RC; END(name)
#define DISPATCH_VOID(name, slot) FUNCTION(name); JUMP_TO(slot); RETURN; END(name)

#if defined(__x86_64__) || defined(__aarch64__)
	.text
DISPATCH(spdk_memory_domain_pull_data, DMAHOST_RECORD_PULL_CB)
DISPATCH(spdk_memory_domain_push_data, DMAHOST_RECORD_PUSH_CB)
DISPATCH(spdk_memory_domain_transfer_data, DMAHOST_RECORD_TRANSFER_CB)
DISPATCH(spdk_memory_domain_translate_data, DMAHOST_RECORD_TRANSLATE_CB)
DISPATCH(spdk_memory_domain_memzero, DMAHOST_RECORD_MEMZERO_CB)
DISPATCH_VOID(spdk_memory_domain_invalidate_data, DMAHOST_RECORD_INVALIDATE_CB)

	.section .note.GNU-stack, "", %progbits
#endif
