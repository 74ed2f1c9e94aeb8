/* SPDX-License-Identifier: Apache-2.0 */
/* The IMAP poller of the e-mail way in: libcurl IMAP commands against one
 * mailbox, messages fetched with BODY.PEEK so that only a durable outcome
 * marks them \Seen, and every message ends in a folder that says what became
 * of it (done, not a report, rejected) or stays for the next poll. See
 * mail_poll.h for the order of steps. Logs ids and counts, never content. */
#include "mail_poll.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "mail_text.h"
#include "prahari/log.h"
#include "prahari/metrics.h"

/* ==== settings ==== */

#define CFGOFF(f) offsetof(struct mail_poller_cfg, f)

const struct cfg_item mail_poller_cfg_items[] = {
        {"PRAHARI_IMAP_URL", CFG_STR, CFGOFF(url), NULL, 0, 0, 0,
         "IMAP server as imap://host:port or imaps://host:port; unset: e-mail intake off"},
        {"PRAHARI_IMAP_USER", CFG_STR, CFGOFF(user), NULL, 0, 0, 0, "IMAP login name"},
        {"PRAHARI_IMAP_PASSWORD", CFG_STR, CFGOFF(password), NULL, CFG_SECRET, 0, 0,
         "IMAP password (use PRAHARI_IMAP_PASSWORD_FILE)"},
        {"PRAHARI_IMAP_MAILBOX", CFG_STR, CFGOFF(mailbox), "INBOX", 0, 0, 0,
         "mailbox the partners' reports arrive in"},
        {"PRAHARI_IMAP_POLL_MS", CFG_INT, CFGOFF(poll_ms), "5000", 0, 100, 3600000,
         "milliseconds between polls"},
        {"PRAHARI_IMAP_STARTTLS", CFG_BOOL, CFGOFF(starttls), "0", 0, 0, 0,
         "require STARTTLS on an imap:// URL (imaps:// is TLS from the start)"},
        {"PRAHARI_IMAP_CA_FILE", CFG_STR, CFGOFF(ca_file), NULL, 0, 0, 0,
         "CA bundle (PEM) that signs the IMAP server's certificate; unset: system CAs"},
        {"PRAHARI_IMAP_DONE_FOLDER", CFG_STR, CFGOFF(done_folder), "Prahari-Processed", 0, 0, 0,
         "folder for messages whose alert (or quarantine record) is stored"},
        {"PRAHARI_IMAP_NONREPORT_FOLDER", CFG_STR, CFGOFF(nonreport_folder),
         "Prahari-Not-Reports", 0, 0, 0, "folder for auto-replies, newsletters and other non-reports"},
        {"PRAHARI_IMAP_REJECT_FOLDER", CFG_STR, CFGOFF(reject_folder), "Prahari-Rejected", 0, 0, 0,
         "folder for messages from senders not allowed (and oversized ones)"},
        {"PRAHARI_EMAIL_ALLOWED_SENDERS", CFG_STR, CFGOFF(allowed_senders), NULL, 0, 0, 0,
         "comma-separated From addresses accepted; @domain allows a whole domain"},
        {"PRAHARI_IMAP_SEARCH", CFG_STR, CFGOFF(search), "UNSEEN", 0, 0, 0,
         "UNSEEN, or ALL for a mailbox people also read (processed mail is moved out anyway)"},
        {"PRAHARI_IMAP_MAX_MESSAGE_BYTES", CFG_INT, CFGOFF(max_message_bytes), "10485760", 0,
         1024, 104857600, "larger messages are moved to the reject folder unread"},
        {"PRAHARI_IMAP_TIMEOUT_MS", CFG_INT, CFGOFF(timeout_ms), "30000", 0, 1000, 600000,
         "timeout of one IMAP command"},
        {"PRAHARI_IMAP_BATCH", CFG_INT, CFGOFF(batch), "100", 0, 1, 10000,
         "messages handled per poll at most"},
        {"PRAHARI_IMAP_USE_MOVE", CFG_BOOL, CFGOFF(use_move), "1", 0, 0, 0,
         "use UID MOVE when the server offers it (else COPY + \\Deleted + EXPUNGE)"},
        {"PRAHARI_EMAIL_AUTHSERV_ID", CFG_STR, CFGOFF(authserv_id), NULL, 0, 0, 0,
         "authserv-id of our receiving mail server; when set, only mail whose topmost "
         "Authentication-Results (by that server) has dmarc=pass or dkim=pass for the From "
         "domain is read"},
};
const size_t mail_poller_cfg_nitems = sizeof mail_poller_cfg_items / sizeof mail_poller_cfg_items[0];

/* Folder names are sent quoted: printable ASCII without quote or backslash. */
static bool folder_ok(const char *s)
{
        if (!s || !*s || strlen(s) > 100)
                return false;
        for (; *s; s++)
                if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
                        return false;
        return true;
}

int mail_poller_cfg_load(struct mail_poller_cfg *cfg, char *err, size_t errsz)
{
        memset(cfg, 0, sizeof *cfg);
        if (cfg_load(mail_poller_cfg_items, mail_poller_cfg_nitems, cfg, err, errsz) != 0)
                return -1;
        if (!cfg->url) {
                mail_poller_cfg_free(cfg);
                return 1;
        }
        const char *bad = NULL, *why = NULL;
        if (strncasecmp(cfg->url, "imap://", 7) != 0 && strncasecmp(cfg->url, "imaps://", 8) != 0)
                bad = "PRAHARI_IMAP_URL", why = "must start with imap:// or imaps://";
        else if (!cfg->user)
                bad = "PRAHARI_IMAP_USER", why = "required when PRAHARI_IMAP_URL is set";
        else if (!cfg->password)
                bad = "PRAHARI_IMAP_PASSWORD", why = "required (set PRAHARI_IMAP_PASSWORD_FILE)";
        else if (!cfg->allowed_senders || !strchr(cfg->allowed_senders, '@'))
                bad = "PRAHARI_EMAIL_ALLOWED_SENDERS", why = "required when PRAHARI_IMAP_URL is set";
        else if (!folder_ok(cfg->mailbox))
                bad = "PRAHARI_IMAP_MAILBOX", why = "must be printable ASCII without quotes";
        else if (!folder_ok(cfg->done_folder))
                bad = "PRAHARI_IMAP_DONE_FOLDER", why = "must be printable ASCII without quotes";
        else if (!folder_ok(cfg->nonreport_folder))
                bad = "PRAHARI_IMAP_NONREPORT_FOLDER", why = "must be printable ASCII without quotes";
        else if (!folder_ok(cfg->reject_folder))
                bad = "PRAHARI_IMAP_REJECT_FOLDER", why = "must be printable ASCII without quotes";
        else if (strcasecmp(cfg->search, "UNSEEN") != 0 && strcasecmp(cfg->search, "ALL") != 0)
                bad = "PRAHARI_IMAP_SEARCH", why = "must be UNSEEN or ALL";
        else if (!strcmp(cfg->done_folder, cfg->mailbox) || !strcmp(cfg->nonreport_folder, cfg->mailbox) ||
                 !strcmp(cfg->reject_folder, cfg->mailbox))
                bad = "PRAHARI_IMAP_DONE_FOLDER", why = "the folders must differ from PRAHARI_IMAP_MAILBOX";
        if (bad) {
                snprintf(err, errsz, "%s: %s", bad, why);
                mail_poller_cfg_free(cfg);
                return -1;
        }
        return 0;
}

void mail_poller_cfg_free(struct mail_poller_cfg *cfg)
{
        if (cfg)
                cfg_free(mail_poller_cfg_items, mail_poller_cfg_nitems, cfg);
}

/* ==== the poller ==== */

struct buf {
        char *p;
        size_t n, cap, limit;
        bool over;
};

struct mail_poller {
        struct mail_poller_cfg cfg; /* own copies of the strings */
        mail_report_cb cb;
        void *ctx;
        CURL *curl;
        char *mbox_url;     /* url + "/" + escaped mailbox */
        bool caps_known, has_move, has_uidplus, folders_ready;
        bool finishing;     /* between a stored alert and its move: not abortable */
        struct buf body, hdr;
        char curl_err[CURL_ERROR_SIZE];

        pthread_t thread;
        bool thread_started;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        bool stop;

        struct metric *m_report, *m_invalid, *m_nonreport, *m_rejected, *m_deferred, *m_errors,
                *m_polls, *m_fallback;
};

static void buf_reset(struct buf *b, size_t limit)
{
        b->n = 0;
        b->over = false;
        b->limit = limit;
        if (b->p)
                b->p[0] = '\0';
}

static size_t buf_add(struct buf *b, const char *d, size_t n)
{
        if (b->n + n > b->limit) {
                b->over = true;
                return 0; /* makes libcurl stop the transfer */
        }
        if (b->n + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 4096;
                while (cap < b->n + n + 1)
                        cap *= 2;
                char *np = realloc(b->p, cap);
                if (!np) {
                        b->over = true;
                        return 0;
                }
                b->p = np;
                b->cap = cap;
        }
        memcpy(b->p + b->n, d, n);
        b->n += n;
        b->p[b->n] = '\0';
        return n;
}

static size_t body_cb(char *d, size_t sz, size_t nm, void *ud)
{
        return buf_add(ud, d, sz * nm);
}

static size_t hdr_cb(char *d, size_t sz, size_t nm, void *ud)
{
        return buf_add(ud, d, sz * nm);
}

/* Lets mail_poller_stop cut a slow command short instead of waiting for
 * PRAHARI_IMAP_TIMEOUT_MS. */
static int progress_cb(void *ud, curl_off_t dlt, curl_off_t dln, curl_off_t ult, curl_off_t uln)
{
        struct mail_poller *p = ud;
        /* never once a message's alert is stored: its \Seen and move finish */
        return __atomic_load_n(&p->stop, __ATOMIC_RELAXED) && !p->finishing ? 1 : 0;
}

static void drop_connection(struct mail_poller *p)
{
        if (p->curl)
                curl_easy_cleanup(p->curl);
        p->curl = NULL;
}

static bool is_loopback_url(const char *url)
{
        const char *h = strstr(url, "://");
        h = h ? h + 3 : url;
        return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 ||
               strncmp(h, "[::1]", 5) == 0;
}

static int ensure_handle(struct mail_poller *p)
{
        if (p->curl)
                return 0;
        CURL *c = curl_easy_init();
        if (!c)
                return -1;
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "imap,imaps");
        curl_easy_setopt(c, CURLOPT_USERNAME, p->cfg.user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, p->cfg.password);
        if (p->cfg.starttls)
                curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
        if (p->cfg.ca_file)
                curl_easy_setopt(c, CURLOPT_CAINFO, p->cfg.ca_file);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, p->cfg.timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, p->cfg.timeout_ms < 10000 ? p->cfg.timeout_ms : 10000L);
        /* libcurl hands a custom command's answer to us line by line and
         * shortens lines longer than half this buffer: make it large (lines
         * of up to 512 KiB); a shortened literal is detected by its length. */
        curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 1024L * 1024L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &p->body);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, hdr_cb);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, &p->hdr);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, p->curl_err);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, p);
        p->curl = c;
        p->caps_known = false;
        return 0;
}

/* Command outcome: 0 OK, 1 the server said NO/BAD, -1 connection-level error
 * (the connection is dropped). */
static int imap_run(struct mail_poller *p, const char *url, const char *command, size_t limit)
{
        if (ensure_handle(p) != 0)
                return -1;
        buf_reset(&p->body, limit);
        buf_reset(&p->hdr, limit + 65536);
        p->curl_err[0] = '\0';
        curl_easy_setopt(p->curl, CURLOPT_URL, url);
        curl_easy_setopt(p->curl, CURLOPT_CUSTOMREQUEST, command);
        CURLcode rc = curl_easy_perform(p->curl);
        if (rc == CURLE_OK)
                return 0;
        if (rc == CURLE_QUOTE_ERROR) {
                log_debug("email: IMAP command %.40s refused by the server", command ? command : "FETCH");
                return 1;
        }
        log_warn("email: IMAP %.40s failed: %s%s%s", command ? command : "FETCH", curl_easy_strerror(rc),
                 p->curl_err[0] ? ": " : "", p->curl_err);
        drop_connection(p);
        return -1;
}

static int imap_cmd(struct mail_poller *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int imap_cmd(struct mail_poller *p, const char *fmt, ...)
{
        char cmd[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof cmd, fmt, ap);
        va_end(ap);
        return imap_run(p, p->mbox_url, cmd, 1024 * 1024);
}

/* The last line in b starting with @p prefix, copied into out. */
static bool find_line(const struct buf *b, const char *prefix, char *out, size_t outsz)
{
        bool found = false;
        size_t pl = strlen(prefix);
        for (size_t i = 0; b->p && i < b->n;) {
                const char *e = memchr(b->p + i, '\n', b->n - i);
                size_t ln = e ? (size_t)(e - (b->p + i)) : b->n - i;
                if (ln >= pl && strncasecmp(b->p + i, prefix, pl) == 0) {
                        size_t c = ln < outsz - 1 ? ln : outsz - 1;
                        memcpy(out, b->p + i, c);
                        while (c > 0 && (out[c - 1] == '\r' || out[c - 1] == '\n'))
                                c--;
                        out[c] = '\0';
                        found = true;
                }
                i += ln + 1;
        }
        return found;
}

static bool has_word(const char *line, const char *word)
{
        size_t wl = strlen(word);
        for (const char *s = line; (s = strcasestr(s, word)) != NULL; s += wl)
                if ((s == line || s[-1] == ' ') && (s[wl] == ' ' || s[wl] == '\0'))
                        return true;
        return false;
}

static int ensure_ready(struct mail_poller *p)
{
        if (!p->caps_known) {
                int rc = imap_cmd(p, "CAPABILITY");
                if (rc != 0)
                        return -1;
                char line[2048] = "";
                if (!find_line(&p->body, "* CAPABILITY", line, sizeof line))
                        find_line(&p->hdr, "* CAPABILITY", line, sizeof line);
                p->has_move = p->cfg.use_move && has_word(line, "MOVE");
                p->has_uidplus = has_word(line, "UIDPLUS");
                p->caps_known = true;
                log_debug("email: IMAP server MOVE=%d UIDPLUS=%d", p->has_move, p->has_uidplus);
        }
        if (!p->folders_ready) {
                const char *folders[] = {p->cfg.done_folder, p->cfg.nonreport_folder,
                                         p->cfg.reject_folder};
                for (size_t i = 0; i < 3; i++) {
                        /* NO when it exists already: fine */
                        if (imap_cmd(p, "CREATE \"%s\"", folders[i]) < 0)
                                return -1;
                }
                p->folders_ready = true;
        }
        return 0;
}

static int cmp_uint(const void *a, const void *b)
{
        unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
        return x < y ? -1 : x > y;
}

/* "* SEARCH 3 4 9" lines into uids (ascending, at most max). */
static size_t parse_search(const struct buf *b, unsigned *uids, size_t max)
{
        size_t n = 0;
        for (size_t i = 0; b->p && i < b->n;) {
                const char *ls = b->p + i;
                const char *e = memchr(ls, '\n', b->n - i);
                size_t ln = e ? (size_t)(e - ls) : b->n - i;
                if (ln >= 8 && strncasecmp(ls, "* SEARCH", 8) == 0) {
                        const char *s = ls + 8, *end = ls + ln;
                        while (s < end && n < max) {
                                while (s < end && *s == ' ')
                                        s++;
                                unsigned long v = 0;
                                int nd = 0;
                                while (s < end && isdigit((unsigned char)*s) && nd < 10) {
                                        v = v * 10 + (unsigned long)(*s - '0');
                                        s++;
                                        nd++;
                                }
                                if (nd == 0 || v == 0 || v > 0xFFFFFFFFul)
                                        break;
                                uids[n++] = (unsigned)v;
                        }
                }
                i += ln + 1;
        }
        qsort(uids, n, sizeof *uids, cmp_uint);
        return n;
}

/* From the raw answer to `UID FETCH n BODY.PEEK[]`: the literal that follows
 * "* k FETCH (... BODY[] {LEN}". Returns 0 only if exactly LEN bytes follow
 * and the response goes on with ')' or ' ' as IMAP requires. */
static int take_literal(const struct buf *b, unsigned uid, const char **lit, size_t *litlen)
{
        for (size_t i = 0; b->p && i < b->n;) {
                const char *ls = b->p + i;
                const char *e = memchr(ls, '\n', b->n - i);
                if (!e)
                        return -1;
                size_t ln = (size_t)(e - ls);
                if (ln > 10 && ls[0] == '*' && ls[1] == ' ' && memmem(ls, ln, " FETCH (", 8) &&
                    memmem(ls, ln, "BODY[]", 6)) {
                        char tmp[48];
                        snprintf(tmp, sizeof tmp, "UID %u ", uid);
                        const char *end = ls + ln;
                        if (end > ls && end[-1] == '\r')
                                end--;
                        const char *ob = end;
                        while (ob > ls && ob[-1] != '{')
                                ob--;
                        if (ob == ls || end == ob || end[-1] != '}' || !memmem(ls, ln, tmp, strlen(tmp)))
                                return -1;
                        size_t len = 0;
                        for (const char *d = ob; d < end - 1; d++) {
                                if (!isdigit((unsigned char)*d) || len > (SIZE_MAX - 9) / 10)
                                        return -1;
                                len = len * 10 + (size_t)(*d - '0');
                        }
                        size_t start = (size_t)(e + 1 - b->p);
                        if (start + len >= b->n)
                                return -1;
                        char after = b->p[start + len];
                        if (after != ')' && after != ' ')
                                return -1;
                        *lit = b->p + start;
                        *litlen = len;
                        return 0;
                }
                i += ln + 1;
        }
        return -1;
}

static int imap_move(struct mail_poller *p, unsigned uid, const char *folder)
{
        int rc;
        if (p->has_move) {
                rc = imap_cmd(p, "UID MOVE %u \"%s\"", uid, folder);
        } else {
                rc = imap_cmd(p, "UID COPY %u \"%s\"", uid, folder);
                if (rc == 0)
                        rc = imap_cmd(p, "UID STORE %u +FLAGS.SILENT (\\Deleted)", uid);
                if (rc == 0)
                        rc = p->has_uidplus ? imap_cmd(p, "UID EXPUNGE %u", uid) : imap_cmd(p, "EXPUNGE");
        }
        if (rc != 0) {
                log_warn("email: uid=%u could not be moved to folder %s", uid, folder);
                p->folders_ready = false; /* made again on the next poll */
        }
        return rc;
}

static const char *domain_of(const char *addr)
{
        const char *at = addr ? strrchr(addr, '@') : NULL;
        return at ? at + 1 : "(none)";
}

/* Handle one UID. Returns 0 when done with it, 1 when it was left for the
 * next poll (the callback failed), -1 on an IMAP error. */
static int handle_uid(struct mail_poller *p, unsigned uid, struct mail_poll_stats *st)
{
        int rc = imap_cmd(p, "UID FETCH %u (RFC822.SIZE)", uid);
        if (rc != 0)
                return rc < 0 ? -1 : 0; /* NO: gone meanwhile */
        long long size = -1;
        const char *sz = p->body.p ? strcasestr(p->body.p, "RFC822.SIZE ") : NULL;
        if (!sz && p->hdr.p)
                sz = strcasestr(p->hdr.p, "RFC822.SIZE ");
        if (sz)
                size = strtoll(sz + 12, NULL, 10);
        if (size < 0) {
                log_warn("email: uid=%u has no RFC822.SIZE in the answer; skipped", uid);
                return 0;
        }
        if (size > p->cfg.max_message_bytes) {
                log_warn("email: uid=%u is %lld bytes, over PRAHARI_IMAP_MAX_MESSAGE_BYTES; moved to %s",
                         uid, size, p->cfg.reject_folder);
                if (imap_move(p, uid, p->cfg.reject_folder) < 0)
                        return -1;
                metric_inc(p->m_rejected, 1);
                st->rejected++;
                return 0;
        }

        char cmd[64];
        snprintf(cmd, sizeof cmd, "UID FETCH %u BODY.PEEK[]", uid);
        rc = imap_run(p, p->mbox_url, cmd, (size_t)size + 65536);
        if (rc < 0)
                return -1;
        const char *raw = NULL;
        size_t rawlen = 0;
        char *owned = NULL;
        bool seen_set = false;
        if (rc != 0 || take_literal(&p->hdr, uid, &raw, &rawlen) != 0) {
                /* The answer could not be read exactly (see mail_poll.h): the
                 * connection may be out of step, so make a new one and let
                 * libcurl read the literal itself. That fetch sets \Seen. */
                metric_inc(p->m_fallback, 1);
                log_warn("email: uid=%u: PEEK answer unreadable, fetching with libcurl's own FETCH", uid);
                drop_connection(p);
                char url[1024];
                snprintf(url, sizeof url, "%s;UID=%u", p->mbox_url, uid);
                if (imap_run(p, url, NULL, (size_t)size + 65536) != 0)
                        return -1;
                seen_set = true;
                owned = malloc(p->body.n + 1);
                if (!owned)
                        return -1;
                memcpy(owned, p->body.p ? p->body.p : "", p->body.n);
                raw = owned;
                rawlen = p->body.n;
        } else {
                owned = malloc(rawlen + 1);
                if (!owned)
                        return -1;
                memcpy(owned, raw, rawlen);
                raw = owned;
        }

        struct mail_result r;
        int ret = 0;
        if (mail_parse(raw, rawlen, &r) != 0) {
                log_error("email: uid=%u: out of memory parsing", uid);
                ret = 1;
                goto unseen;
        }
        const char *why = NULL;
        if (!r.sender || !mail_sender_allowed(p->cfg.allowed_senders, r.sender))
                why = "from a sender not allowed";
        else if (p->cfg.authserv_id &&
                 !mail_auth_results_ok(r.auth_results, p->cfg.authserv_id, domain_of(r.sender)))
                why = "with a From our mail server did not authenticate";
        if (why) {
                log_warn("email: uid=%u %s (domain %s); moved to %s", uid, why, domain_of(r.sender),
                         p->cfg.reject_folder);
                if (seen_set)
                        imap_cmd(p, "UID STORE %u -FLAGS.SILENT (\\Seen)", uid);
                if (imap_move(p, uid, p->cfg.reject_folder) < 0)
                        ret = -1;
                else {
                        metric_inc(p->m_rejected, 1);
                        st->rejected++;
                }
                goto out;
        }
        if (r.kind == MAIL_NOT_REPORT) {
                log_info("email: uid=%u is not a report (%s); moved to %s", uid, r.reason,
                         p->cfg.nonreport_folder);
                if (seen_set)
                        imap_cmd(p, "UID STORE %u -FLAGS.SILENT (\\Seen)", uid);
                if (imap_move(p, uid, p->cfg.nonreport_folder) < 0)
                        ret = -1;
                else {
                        metric_inc(p->m_nonreport, 1);
                        st->not_reports++;
                }
                goto out;
        }
        const char *rid = json_string_value(json_object_get(r.report, "report_id"));
        if (p->cb(p->ctx, &r, raw, rawlen) != 0) {
                log_warn("email: uid=%u report %s not stored; left for the next poll", uid,
                         rid ? rid : "(no id)");
                metric_inc(p->m_deferred, 1);
                st->deferred++;
                ret = 1;
                goto unseen;
        }
        if (r.kind == MAIL_REPORT) {
                metric_inc(p->m_report, 1);
                st->reports++;
                log_info("email: uid=%u report %s stored", uid, rid ? rid : "");
        } else {
                metric_inc(p->m_invalid, 1);
                st->invalid++;
                log_warn("email: uid=%u unreadable report %s quarantined (%s)", uid, rid ? rid : "(no id)",
                         r.reason);
        }
        /* durable: now (and only now) processed */
        p->finishing = true;
        if (!seen_set && imap_cmd(p, "UID STORE %u +FLAGS.SILENT (\\Seen)", uid) < 0)
                ret = -1;
        else if (imap_move(p, uid, p->cfg.done_folder) < 0)
                ret = -1;
        p->finishing = false;
        goto out;
unseen:
        if (seen_set && imap_cmd(p, "UID STORE %u -FLAGS.SILENT (\\Seen)", uid) < 0)
                ret = -1;
out:
        mail_result_clear(&r);
        free(owned);
        return ret;
}

int mail_poller_poll_once(struct mail_poller *p, struct mail_poll_stats *st)
{
        struct mail_poll_stats local;
        if (!st)
                st = &local;
        memset(st, 0, sizeof *st);
        metric_inc(p->m_polls, 1);
        if (ensure_ready(p) != 0)
                goto fail;
        /* NOOP makes the server look for new mail in a mailbox this session
         * has selected already (Dovecot does not rescan a maildir for SEARCH) */
        if (imap_cmd(p, "NOOP") < 0)
                goto fail;
        if (imap_cmd(p, "UID SEARCH %s", strcasecmp(p->cfg.search, "ALL") == 0 ? "ALL" : "UNSEEN") != 0)
                goto fail;
        size_t max = (size_t)p->cfg.batch;
        unsigned *uids = calloc(max, sizeof *uids);
        if (!uids)
                goto fail;
        size_t n = parse_search(&p->body, uids, max);
        if (n == 0)
                n = parse_search(&p->hdr, uids, max);
        st->found = (unsigned)n;
        int rc = 0, deferred_in_row = 0;
        for (size_t i = 0; i < n; i++) {
                pthread_mutex_lock(&p->lock);
                bool stop = p->stop;
                pthread_mutex_unlock(&p->lock);
                if (stop)
                        break;
                rc = handle_uid(p, uids[i], st);
                if (rc < 0)
                        break;
                /* A failed store usually means the database is down: try the
                 * next messages (one bad message must not block the queue)
                 * but give up on this poll after three failures in a row. */
                deferred_in_row = rc == 1 ? deferred_in_row + 1 : 0;
                rc = 0;
                if (deferred_in_row >= 3)
                        break;
        }
        free(uids);
        if (rc < 0)
                goto fail;
        return 0;
fail:
        st->errors++;
        metric_inc(p->m_errors, 1);
        return -1;
}

static void curl_init_once(void)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

struct mail_poller *mail_poller_new(const struct mail_poller_cfg *cfg, mail_report_cb cb,
                                    void *ctx, char *err, size_t errsz)
{
        static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
        if (!cfg || !cfg->url || !cfg->user || !cfg->password || !cb) {
                snprintf(err, errsz, "PRAHARI_IMAP_URL: URL, user, password and callback are required");
                return NULL;
        }
        pthread_once(&curl_once, curl_init_once);
        struct mail_poller *p = calloc(1, sizeof *p);
        if (!p)
                goto oom;
        p->cfg = *cfg;
        p->cfg.url = dup_or_null(cfg->url);
        p->cfg.user = dup_or_null(cfg->user);
        p->cfg.password = dup_or_null(cfg->password);
        p->cfg.mailbox = dup_or_null(cfg->mailbox ? cfg->mailbox : "INBOX");
        p->cfg.ca_file = dup_or_null(cfg->ca_file);
        p->cfg.done_folder = dup_or_null(cfg->done_folder ? cfg->done_folder : "Prahari-Processed");
        p->cfg.nonreport_folder = dup_or_null(cfg->nonreport_folder ? cfg->nonreport_folder : "Prahari-Not-Reports");
        p->cfg.reject_folder = dup_or_null(cfg->reject_folder ? cfg->reject_folder : "Prahari-Rejected");
        p->cfg.allowed_senders = dup_or_null(cfg->allowed_senders ? cfg->allowed_senders : "");
        p->cfg.search = dup_or_null(cfg->search ? cfg->search : "UNSEEN");
        p->cfg.authserv_id = dup_or_null(cfg->authserv_id);
        if (p->cfg.poll_ms <= 0)
                p->cfg.poll_ms = 5000;
        if (p->cfg.max_message_bytes <= 0)
                p->cfg.max_message_bytes = 10L * 1024 * 1024;
        if (p->cfg.timeout_ms <= 0)
                p->cfg.timeout_ms = 30000;
        if (p->cfg.batch <= 0)
                p->cfg.batch = 100;
        p->cb = cb;
        p->ctx = ctx;
        if (!p->cfg.url || !p->cfg.user || !p->cfg.password || !p->cfg.mailbox || !p->cfg.done_folder ||
            !p->cfg.nonreport_folder || !p->cfg.reject_folder || !p->cfg.allowed_senders || !p->cfg.search ||
            (cfg->ca_file && !p->cfg.ca_file) || (cfg->authserv_id && !p->cfg.authserv_id))
                goto oom;
        char *esc = curl_easy_escape(NULL, p->cfg.mailbox, 0);
        if (!esc)
                goto oom;
        size_t ul = strlen(p->cfg.url);
        while (ul > 0 && p->cfg.url[ul - 1] == '/')
                ul--;
        size_t need = ul + strlen(esc) + 2;
        p->mbox_url = malloc(need);
        if (p->mbox_url)
                snprintf(p->mbox_url, need, "%.*s/%s", (int)ul, p->cfg.url, esc);
        curl_free(esc);
        if (!p->mbox_url)
                goto oom;
        pthread_mutex_init(&p->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&p->cond, &ca);
        pthread_condattr_destroy(&ca);
        static const char *help = "E-mail messages handled, by result";
        p->m_report = metrics_counter("prahari_ingest_email_messages_total", help, "result=\"report\"");
        p->m_invalid = metrics_counter("prahari_ingest_email_messages_total", help, "result=\"invalid\"");
        p->m_nonreport = metrics_counter("prahari_ingest_email_messages_total", help, "result=\"not_report\"");
        p->m_rejected = metrics_counter("prahari_ingest_email_messages_total", help, "result=\"rejected\"");
        p->m_deferred = metrics_counter("prahari_ingest_email_messages_total", help, "result=\"deferred\"");
        p->m_fallback = metrics_counter("prahari_ingest_email_fetch_fallbacks_total",
                                        "Messages fetched with libcurl's own FETCH after an unreadable PEEK answer", NULL);
        p->m_errors = metrics_counter("prahari_ingest_email_poll_errors_total", "IMAP polls that failed", NULL);
        p->m_polls = metrics_counter("prahari_ingest_email_polls_total", "IMAP polls run", NULL);
        if (strncasecmp(p->cfg.url, "imap://", 7) == 0 && !p->cfg.starttls && !is_loopback_url(p->cfg.url))
                log_warn("email: PRAHARI_IMAP_URL is imap:// without PRAHARI_IMAP_STARTTLS: the password "
                         "crosses the network in clear text");
        if (!p->cfg.authserv_id)
                log_warn("email: PRAHARI_EMAIL_AUTHSERV_ID unset: the sender allow-list trusts the From "
                         "header as the mail server delivered it");
        return p;
oom:
        snprintf(err, errsz, "email poller: out of memory");
        if (p) {
                mail_poller_cfg_free(&p->cfg);
                free(p->mbox_url);
                free(p);
        }
        return NULL;
}

static void *poll_thread(void *arg)
{
        struct mail_poller *p = arg;
        log_info("email: polling %s every %ld ms", p->cfg.mailbox, p->cfg.poll_ms);
        for (;;) {
                pthread_mutex_lock(&p->lock);
                bool stop = p->stop;
                pthread_mutex_unlock(&p->lock);
                if (stop)
                        break;
                struct mail_poll_stats st;
                mail_poller_poll_once(p, &st);
                if (st.found)
                        log_info("email: poll: %u found, %u reports, %u invalid, %u not reports, %u rejected, "
                                 "%u deferred",
                                 st.found, st.reports, st.invalid, st.not_reports, st.rejected, st.deferred);
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                ts.tv_sec += p->cfg.poll_ms / 1000;
                ts.tv_nsec += (p->cfg.poll_ms % 1000) * 1000000L;
                if (ts.tv_nsec >= 1000000000L) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000L;
                }
                pthread_mutex_lock(&p->lock);
                while (!p->stop) {
                        int rc = pthread_cond_timedwait(&p->cond, &p->lock, &ts);
                        if (rc == ETIMEDOUT)
                                break;
                }
                pthread_mutex_unlock(&p->lock);
        }
        log_info("email: poller stopped");
        return NULL;
}

struct mail_poller *mail_poller_start(const struct mail_poller_cfg *cfg, mail_report_cb cb,
                                      void *ctx, char *err, size_t errsz)
{
        struct mail_poller *p = mail_poller_new(cfg, cb, ctx, err, errsz);
        if (!p)
                return NULL;
        int rc = pthread_create(&p->thread, NULL, poll_thread, p);
        if (rc != 0) {
                snprintf(err, errsz, "email poller: pthread_create: %s", strerror(rc));
                mail_poller_stop(p);
                return NULL;
        }
        p->thread_started = true;
        return p;
}

void mail_poller_stop(struct mail_poller *p)
{
        if (!p)
                return;
        pthread_mutex_lock(&p->lock);
        __atomic_store_n(&p->stop, true, __ATOMIC_RELAXED);
        pthread_cond_signal(&p->cond);
        pthread_mutex_unlock(&p->lock);
        if (p->thread_started)
                pthread_join(p->thread, NULL);
        drop_connection(p);
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p->body.p);
        free(p->hdr.p);
        free(p->mbox_url);
        mail_poller_cfg_free(&p->cfg);
        free(p);
}
