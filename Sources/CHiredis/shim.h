// The only door from Swift into hiredis.
//
// Swift never calls hiredis directly: it calls the `plexus_*` wrappers below, which use hiredis
// when its header is present and otherwise report "unavailable" (NULL / -1). A machine without
// libhiredis-dev then still compiles and links plexus: pkg-config finds no hiredis, SwiftPM adds
// no `-lhiredis`, and no hiredis symbol is referenced. Contexts and replies cross into Swift as
// `void *` so the Swift side looks the same in both builds.
//
// Only the hiredis 0.14 API is used (Debian's libhiredis-dev): its `redisReply` has type,
// integer, len, str, elements and element, and no `dval`/`vtype` (those came with 1.x).
//
// `PLEXUS_FORCE_NO_HIREDIS` (e.g. `-Xcc -DPLEXUS_FORCE_NO_HIREDIS`) builds the "no hiredis"
// branch on a machine that has it, to test that build.

#ifndef PLEXUS_CHIREDIS_SHIM_H
#define PLEXUS_CHIREDIS_SHIM_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <sys/time.h>

#if !defined(PLEXUS_FORCE_NO_HIREDIS) && defined(__has_include)
#  if __has_include(<hiredis/hiredis.h>)
#    include <hiredis/hiredis.h>
#    define PLEXUS_HAVE_HIREDIS 1
#  elif __has_include(<hiredis.h>)
     // Homebrew's pkg-config points -I at .../include/hiredis itself.
#    include <hiredis.h>
#    define PLEXUS_HAVE_HIREDIS 1
#  endif
#endif
#ifndef PLEXUS_HAVE_HIREDIS
#  define PLEXUS_HAVE_HIREDIS 0
#endif

// Reply types, our own numbering so Swift does not depend on hiredis' macros being visible.
#define PLEXUS_REDIS_REPLY_STRING 1
#define PLEXUS_REDIS_REPLY_ARRAY 2
#define PLEXUS_REDIS_REPLY_INTEGER 3
#define PLEXUS_REDIS_REPLY_NIL 4
#define PLEXUS_REDIS_REPLY_STATUS 5
#define PLEXUS_REDIS_REPLY_ERROR 6
#define PLEXUS_REDIS_REPLY_UNKNOWN 0

// Why a call on a context failed, from hiredis' `err` and the errno saved right after the call.
#define PLEXUS_REDIS_FAIL_NONE 0
#define PLEXUS_REDIS_FAIL_TIMEOUT 1
#define PLEXUS_REDIS_FAIL_EOF 2
#define PLEXUS_REDIS_FAIL_IO 3
#define PLEXUS_REDIS_FAIL_PROTOCOL 4
#define PLEXUS_REDIS_FAIL_OTHER 5

static inline int plexus_hiredis_available(void) { return PLEXUS_HAVE_HIREDIS; }

/// major * 10000 + minor * 100 + patch, or 0 without hiredis.
static inline int plexus_hiredis_version(void) {
#if PLEXUS_HAVE_HIREDIS
    return HIREDIS_MAJOR * 10000 + HIREDIS_MINOR * 100 + HIREDIS_PATCH;
#else
    return 0;
#endif
}

/// hiredis writes with write(2), so a peer that vanished raises SIGPIPE, which would kill the
/// process. Blocking it on the calling (dedicated Redis) thread turns that into an EPIPE error
/// without changing the signal disposition of the whole process.
static inline void plexus_redis_block_sigpipe_on_this_thread(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static inline struct timeval plexus_redis_timeval(long timeout_ms) {
    struct timeval tv;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    return tv;
}

/// A blocking context, or NULL (no hiredis, or out of memory). A non-NULL context may carry a
/// connect error in `plexus_redis_err`; it must still be freed.
static inline void *plexus_redis_connect(const char *host, int port, long timeout_ms) {
#if PLEXUS_HAVE_HIREDIS
    return redisConnectWithTimeout(host, port, plexus_redis_timeval(timeout_ms));
#else
    (void)host; (void)port; (void)timeout_ms;
    return NULL;
#endif
}

static inline void plexus_redis_free(void *ctx) {
#if PLEXUS_HAVE_HIREDIS
    if (ctx != NULL) redisFree((redisContext *)ctx);
#else
    (void)ctx;
#endif
}

static inline int plexus_redis_err(const void *ctx) {
#if PLEXUS_HAVE_HIREDIS
    return ctx == NULL ? -1 : ((const redisContext *)ctx)->err;
#else
    (void)ctx;
    return -1;
#endif
}

static inline const char *plexus_redis_errstr(const void *ctx) {
#if PLEXUS_HAVE_HIREDIS
    return ctx == NULL ? "no context" : ((const redisContext *)ctx)->errstr;
#else
    (void)ctx;
    return "hiredis is not available";
#endif
}

/// Classifies the context's error. A read that hit SO_RCVTIMEO fails with EAGAIN, which hiredis
/// reports as a plain I/O error; `saved_errno` tells it apart.
static inline int plexus_redis_failure(const void *ctx, int saved_errno) {
#if PLEXUS_HAVE_HIREDIS
    if (ctx == NULL) return PLEXUS_REDIS_FAIL_OTHER;
    switch (((const redisContext *)ctx)->err) {
    case 0: return PLEXUS_REDIS_FAIL_NONE;
    case REDIS_ERR_IO:
        if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK || saved_errno == ETIMEDOUT ||
            saved_errno == EINPROGRESS) {
            return PLEXUS_REDIS_FAIL_TIMEOUT;
        }
        return PLEXUS_REDIS_FAIL_IO;
    case REDIS_ERR_EOF: return PLEXUS_REDIS_FAIL_EOF;
    case REDIS_ERR_PROTOCOL: return PLEXUS_REDIS_FAIL_PROTOCOL;
    default: return PLEXUS_REDIS_FAIL_OTHER;
    }
#else
    (void)ctx; (void)saved_errno;
    return PLEXUS_REDIS_FAIL_OTHER;
#endif
}

/// Sets SO_RCVTIMEO/SO_SNDTIMEO; 0 on success, -1 on failure.
static inline int plexus_redis_set_timeout(void *ctx, long timeout_ms) {
#if PLEXUS_HAVE_HIREDIS
    if (ctx == NULL) return -1;
    return redisSetTimeout((redisContext *)ctx, plexus_redis_timeval(timeout_ms)) == REDIS_OK ? 0 : -1;
#else
    (void)ctx; (void)timeout_ms;
    return -1;
#endif
}

static inline int plexus_redis_enable_keepalive(void *ctx) {
#if PLEXUS_HAVE_HIREDIS
    if (ctx == NULL) return -1;
    return redisEnableKeepAlive((redisContext *)ctx) == REDIS_OK ? 0 : -1;
#else
    (void)ctx;
    return -1;
#endif
}

/// Sends one command and reads its reply; NULL on failure, with errno saved in `saved_errno`.
static inline void *plexus_redis_command_argv(void *ctx, int argc, const char **argv,
                                              const size_t *argvlen, int *saved_errno) {
#if PLEXUS_HAVE_HIREDIS
    errno = 0;
    void *reply = redisCommandArgv((redisContext *)ctx, argc, argv, argvlen);
    if (saved_errno != NULL) *saved_errno = errno;
    return reply;
#else
    (void)ctx; (void)argc; (void)argv; (void)argvlen;
    if (saved_errno != NULL) *saved_errno = 0;
    return NULL;
#endif
}

/// Queues a command in the output buffer without sending it; 0 on success, -1 on failure.
static inline int plexus_redis_append_command_argv(void *ctx, int argc, const char **argv,
                                                   const size_t *argvlen) {
#if PLEXUS_HAVE_HIREDIS
    return redisAppendCommandArgv((redisContext *)ctx, argc, argv, argvlen) == REDIS_OK ? 0 : -1;
#else
    (void)ctx; (void)argc; (void)argv; (void)argvlen;
    return -1;
#endif
}

/// Flushes queued commands (first call) and reads the next reply; 0 on success, -1 on failure
/// with errno saved in `saved_errno`.
static inline int plexus_redis_get_reply(void *ctx, void **reply, int *saved_errno) {
#if PLEXUS_HAVE_HIREDIS
    errno = 0;
    int rc = redisGetReply((redisContext *)ctx, reply);
    if (saved_errno != NULL) *saved_errno = errno;
    return rc == REDIS_OK ? 0 : -1;
#else
    (void)ctx;
    if (reply != NULL) *reply = NULL;
    if (saved_errno != NULL) *saved_errno = 0;
    return -1;
#endif
}

static inline void plexus_redis_free_reply(void *reply) {
#if PLEXUS_HAVE_HIREDIS
    if (reply != NULL) freeReplyObject(reply);
#else
    (void)reply;
#endif
}

static inline int plexus_redis_reply_type(const void *reply) {
#if PLEXUS_HAVE_HIREDIS
    if (reply == NULL) return PLEXUS_REDIS_REPLY_UNKNOWN;
    switch (((const redisReply *)reply)->type) {
    case REDIS_REPLY_STRING: return PLEXUS_REDIS_REPLY_STRING;
    case REDIS_REPLY_ARRAY: return PLEXUS_REDIS_REPLY_ARRAY;
    case REDIS_REPLY_INTEGER: return PLEXUS_REDIS_REPLY_INTEGER;
    case REDIS_REPLY_NIL: return PLEXUS_REDIS_REPLY_NIL;
    case REDIS_REPLY_STATUS: return PLEXUS_REDIS_REPLY_STATUS;
    case REDIS_REPLY_ERROR: return PLEXUS_REDIS_REPLY_ERROR;
    default: return PLEXUS_REDIS_REPLY_UNKNOWN;
    }
#else
    (void)reply;
    return PLEXUS_REDIS_REPLY_UNKNOWN;
#endif
}

static inline long long plexus_redis_reply_integer(const void *reply) {
#if PLEXUS_HAVE_HIREDIS
    return reply == NULL ? 0 : ((const redisReply *)reply)->integer;
#else
    (void)reply;
    return 0;
#endif
}

static inline const char *plexus_redis_reply_str(const void *reply) {
#if PLEXUS_HAVE_HIREDIS
    return reply == NULL ? NULL : ((const redisReply *)reply)->str;
#else
    (void)reply;
    return NULL;
#endif
}

static inline size_t plexus_redis_reply_len(const void *reply) {
#if PLEXUS_HAVE_HIREDIS
    return reply == NULL ? 0 : ((const redisReply *)reply)->len;
#else
    (void)reply;
    return 0;
#endif
}

static inline size_t plexus_redis_reply_elements(const void *reply) {
#if PLEXUS_HAVE_HIREDIS
    return reply == NULL ? 0 : ((const redisReply *)reply)->elements;
#else
    (void)reply;
    return 0;
#endif
}

static inline const void *plexus_redis_reply_element(const void *reply, size_t index) {
#if PLEXUS_HAVE_HIREDIS
    if (reply == NULL) return NULL;
    const redisReply *r = (const redisReply *)reply;
    return index < r->elements ? r->element[index] : NULL;
#else
    (void)reply; (void)index;
    return NULL;
#endif
}

#endif
