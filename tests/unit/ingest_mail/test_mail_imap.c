/* SPDX-License-Identifier: Apache-2.0 */
/* Integration test of the IMAP poller against a real Dovecot started by
 * run_imap_test.sh: messages are delivered into the maildir as a mail server
 * would (new/, owned by nobody), mail_poller_poll_once runs, and the test
 * checks what the callback received (byte-exact) and where each message ended
 * up, read back over IMAP with STATUS. */
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "mail_poll.h"
#include "prahari/log.h"
#include "prahari/util.h"
#include "../../testutil.h"

static const char *g_maildir, *g_url, *g_user;
static char *g_pass;

/* ---- delivering and inspecting ---- */

static void deliver(const char *name, const char *data, size_t len)
{
        static unsigned seq;
        char tmp[1024], dst[1024];
        snprintf(tmp, sizeof tmp, "%s/tmp/%u.%s.test", g_maildir, ++seq, name);
        snprintf(dst, sizeof dst, "%s/new/%u.%s.test", g_maildir, seq, name);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        CHECK((size_t)write(fd, data, len) == len);
        close(fd);
        struct passwd *pw = getpwnam("nobody");
        if (pw)
                CHECK(chown(tmp, pw->pw_uid, pw->pw_gid) == 0);
        CHECK(rename(tmp, dst) == 0);
}

/* LF text to CRLF, as on the wire (malloc'd). */
static char *crlf(const char *s, size_t *outlen)
{
        size_t n = strlen(s), w = 0;
        char *d = malloc(2 * n + 1);
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\n')
                        d[w++] = '\r';
                d[w++] = s[i];
        }
        d[w] = '\0';
        *outlen = w;
        return d;
}

static void deliver_text(const char *name, const char *lf_text)
{
        size_t n;
        char *m = crlf(lf_text, &n);
        deliver(name, m, n);
        free(m);
}

static size_t sink(char *d, size_t sz, size_t nm, void *ud)
{
        char *buf = ud;
        size_t have = strlen(buf), n = sz * nm;
        if (have + n < 8192) {
                memcpy(buf + have, d, n);
                buf[have + n] = '\0';
        }
        return n;
}

/* MESSAGES and UNSEEN of a folder, read over IMAP; -1 on error. */
static void folder_status(const char *folder, long *messages, long *unseen)
{
        char out[8192] = "", hdr[8192] = "", cmd[256], url[512];
        *messages = *unseen = -1;
        CURL *c = curl_easy_init();
        snprintf(url, sizeof url, "%s/", g_url);
        snprintf(cmd, sizeof cmd, "STATUS \"%s\" (MESSAGES UNSEEN)", folder);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_USERNAME, g_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, g_pass);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, cmd);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, hdr);
        CURLcode rc = curl_easy_perform(c);
        curl_easy_cleanup(c);
        if (rc != CURLE_OK)
                return;
        const char *s = strstr(out, "MESSAGES ");
        if (!s)
                s = strstr(hdr, "MESSAGES ");
        if (s)
                *messages = strtol(s + 9, NULL, 10);
        s = strstr(out, "UNSEEN ");
        if (!s)
                s = strstr(hdr, "UNSEEN ");
        if (s)
                *unseen = strtol(s + 7, NULL, 10);
}

/* Run one IMAP command on INBOX as a person's mail client would. */
static int imap_do(const char *cmd)
{
        char out[8192] = "", hdr[8192] = "", url[512];
        CURL *c = curl_easy_init();
        snprintf(url, sizeof url, "%s/INBOX", g_url);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_USERNAME, g_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, g_pass);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, cmd);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, sink);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, hdr);
        CURLcode rc = curl_easy_perform(c);
        curl_easy_cleanup(c);
        return rc == CURLE_OK ? 0 : -1;
}

#define CHECK_FOLDER(folder, want_msgs, want_unseen)                                        \
        do {                                                                                \
                long _m, _u;                                                                \
                folder_status((folder), &_m, &_u);                                          \
                CHECK_MSG(_m == (want_msgs) && _u == (want_unseen),                         \
                          "folder %s: %ld messages, %ld unseen; want %d, %d", (folder), _m, \
                          _u, (want_msgs), (want_unseen));                                  \
        } while (0)

/* ---- the callback ---- */

struct record {
        bool fail;               /* answer -1 (database down) */
        int calls;
        char ids[16][96];        /* report_id or "(invalid:<field>)" per call */
        char *raw[16];           /* copies of the raw bytes */
        size_t rawlen[16];
};

static int record_cb(void *ctx, const struct mail_result *r, const char *raw, size_t rawlen)
{
        struct record *rec = ctx;
        if (rec->calls < 16) {
                int i = rec->calls;
                const char *id = json_string_value(json_object_get(r->report, "report_id"));
                if (r->kind == MAIL_INVALID)
                        snprintf(rec->ids[i], sizeof rec->ids[i], "(invalid:%s)", r->field);
                else
                        snprintf(rec->ids[i], sizeof rec->ids[i], "%s", id ? id : "(none)");
                rec->raw[i] = malloc(rawlen + 1);
                memcpy(rec->raw[i], raw, rawlen);
                rec->rawlen[i] = rawlen;
        }
        __atomic_fetch_add(&rec->calls, 1, __ATOMIC_RELEASE); /* read by the test's thread */
        return rec->fail ? -1 : 0;
}

static void record_free(struct record *rec)
{
        for (int i = 0; i < 16; i++)
                free(rec->raw[i]);
        memset(rec, 0, sizeof *rec);
}

static int find_call(const struct record *rec, const char *id)
{
        for (int i = 0; i < rec->calls && i < 16; i++)
                if (strcmp(rec->ids[i], id) == 0)
                        return i;
        return -1;
}

/* ---- messages ---- */

#define ALLOWED "From: Partner Safety Reports <records@partner-reports.example>\n"
#define REPORT_LINES(id)                                                                   \
        "Report ID: " id "\nPlatform: Facebook\nRisk level: High\nCategory: Suicide\n"   \
        "Detected: 2026-12-03 14:05 IST\nAccount ID: 100089765432100001\nContent type: post\n" \
        "Profile location: Kota\n"

static const char newsletter[] =
        ALLOWED "To: cell@police.example\nSubject: Partner safety newsletter\n"
        "Message-ID: <news-1@partner-reports.example>\nPrecedence: bulk\n"
        "List-Unsubscribe: <mailto:unsubscribe@partner-reports.example>\n\n"
        "This month: new reporting features.\n";

static const char disallowed[] =
        "From: Someone <reports@evil.example>\nTo: cell@police.example\nSubject: Report\n"
        "Message-ID: <evil-1@evil.example>\n\n" REPORT_LINES("MH-EVIL-1");

static const char invalid_report[] =
        ALLOWED "To: cell@police.example\nSubject: Report MH-BAD-1\n"
        "Message-ID: <bad-1@partner-reports.example>\n\n"
        "Report ID: MH-BAD-1\nPlatform: Instagram\nRisk level: Imminent\nCategory: Suicide\n"
        "Account ID: 17841400000000099\nContent type: post\n";

/* A report whose body also holds lines that look like libcurl's tagged IMAP
 * responses: the PEEK answer cannot be read line by line and the poller must
 * fall back to libcurl's own literal-aware FETCH. */
static char *injection_message(const char *id, size_t *len)
{
        size_t cap = 64 * 1024, n = 0;
        char *lf = malloc(cap);
        n += (size_t)snprintf(lf + n, cap - n,
                              ALLOWED "To: cell@police.example\nSubject: Report %s\n"
                                      "Message-ID: <%s@partner-reports.example>\n\n" REPORT_LINES("%s")
                                      "\nQuoted log:\n",
                              id, id, id);
        for (char t = 'A'; t <= 'E'; t++)
                for (int i = 0; i < 200; i++)
                        n += (size_t)snprintf(lf + n, cap - n, "%c%03d OK done\n", t, i);
        char *m = crlf(lf, len);
        free(lf);
        return m;
}

static char *read_fixture(const char *name, size_t *len)
{
        char path[512];
        snprintf(path, sizeof path, "%s/fixtures/bodies/%s", PRAHARI_SHARED_DIR, name);
        char *raw = util_read_file(path, len);
        CHECK_MSG(raw != NULL, "read %s", path);
        return raw;
}

int main(void)
{
        log_init("ingest-mail-test");
        g_maildir = getenv("PRAHARI_TEST_MAILDIR");
        g_url = getenv("PRAHARI_TEST_IMAP_URL");
        g_user = getenv("PRAHARI_TEST_IMAP_USER");
        const char *pwfile = getenv("PRAHARI_TEST_IMAP_PASSWORD_FILE");
        if (!g_maildir || !g_url || !g_user || !pwfile) {
                fprintf(stderr, "run me through run_imap_test.sh\n");
                return 1;
        }
        curl_global_init(CURL_GLOBAL_DEFAULT);

        /* the settings, through the real loader */
        setenv("PRAHARI_IMAP_URL", g_url, 1);
        setenv("PRAHARI_IMAP_USER", g_user, 1);
        setenv("PRAHARI_IMAP_PASSWORD_FILE", pwfile, 1);
        setenv("PRAHARI_EMAIL_ALLOWED_SENDERS", "other@x.example, records@partner-reports.example", 1);
        struct mail_poller_cfg cfg;
        char err[256];
        CHECK_INT(mail_poller_cfg_load(&cfg, err, sizeof err), 0);
        g_pass = cfg.password ? strdup(cfg.password) : strdup("");
        CHECK_STR(cfg.mailbox, "INBOX");
        CHECK_STR(cfg.done_folder, "Prahari-Processed");
        CHECK_INT(cfg.poll_ms, 5000);

        size_t l1, l2, linj;
        char *e1 = read_fixture("email-01-bikaner.eml", &l1);
        char *e2 = read_fixture("email-02-sikar-html.eml", &l2);
        char *inj = injection_message("MH-INJ-1", &linj);
        if (!e1 || !e2)
                return test_summary("ingest_mail_imap");
        deliver("e1", e1, l1);
        deliver("e2", e2, l2);
        deliver_text("news", newsletter);
        deliver_text("evil", disallowed);
        deliver_text("bad", invalid_report);
        deliver("inj", inj, linj);

        struct record rec = {0};
        struct mail_poller *p = mail_poller_new(&cfg, record_cb, &rec, err, sizeof err);
        CHECK(p != NULL);
        if (!p)
                return test_summary("ingest_mail_imap");

        /* poll 1: everything lands where it belongs */
        struct mail_poll_stats st;
        CHECK_INT(mail_poller_poll_once(p, &st), 0);
        CHECK_INT(st.found, 6);
        CHECK_INT(st.reports, 3);
        CHECK_INT(st.invalid, 1);
        CHECK_INT(st.not_reports, 1);
        CHECK_INT(st.rejected, 1);
        CHECK_INT(st.deferred, 0);
        CHECK_INT(rec.calls, 4);
        int i1 = find_call(&rec, "MH-2026-004211"), i2 = find_call(&rec, "MH-2026-004212");
        int ii = find_call(&rec, "MH-INJ-1");
        CHECK(i1 >= 0 && i2 >= 0 && ii >= 0);
        CHECK(find_call(&rec, "(invalid:detected_time)") >= 0);
        CHECK(find_call(&rec, "MH-EVIL-1") < 0);
        /* the callback got the message byte for byte */
        CHECK(i1 >= 0 && rec.rawlen[i1] == l1 && memcmp(rec.raw[i1], e1, l1) == 0);
        CHECK(i2 >= 0 && rec.rawlen[i2] == l2 && memcmp(rec.raw[i2], e2, l2) == 0);
        CHECK(ii >= 0 && rec.rawlen[ii] == linj && memcmp(rec.raw[ii], inj, linj) == 0);
        CHECK_FOLDER("INBOX", 0, 0);
        CHECK_FOLDER("Prahari-Processed", 4, 0);   /* stored: \Seen */
        CHECK_FOLDER("Prahari-Not-Reports", 1, 1); /* left unread */
        CHECK_FOLDER("Prahari-Rejected", 1, 1);    /* left unread */

        /* poll 2: nothing new */
        CHECK_INT(mail_poller_poll_once(p, &st), 0);
        CHECK_INT(st.found, 0);
        CHECK_INT(rec.calls, 4);

        /* the database is down: the message stays unseen in the INBOX ... */
        record_free(&rec);
        rec.fail = true;
        deliver_text("retry", ALLOWED "Subject: r\nMessage-ID: <retry-1@partner-reports.example>\n\n"
                                      REPORT_LINES("MH-RETRY-1"));
        CHECK_INT(mail_poller_poll_once(p, &st), 0);
        CHECK_INT(st.found, 1);
        CHECK_INT(st.deferred, 1);
        CHECK_INT(rec.calls, 1);
        CHECK_FOLDER("INBOX", 1, 1);
        /* ... also when it had to be fetched with libcurl's own FETCH (which
         * sets \Seen, so the poller must clear it again) */
        size_t linj2;
        char *inj2 = injection_message("MH-INJ-2", &linj2);
        deliver("inj2", inj2, linj2);
        CHECK_INT(mail_poller_poll_once(p, &st), 0);
        CHECK_INT(st.found, 2);
        CHECK_INT(st.deferred, 2);
        CHECK_INT(rec.calls, 3);
        CHECK_FOLDER("INBOX", 2, 2);
        /* ... and is retried once the database is back */
        record_free(&rec);
        CHECK_INT(mail_poller_poll_once(p, &st), 0);
        CHECK_INT(st.found, 2);
        CHECK_INT(st.reports, 2);
        CHECK(find_call(&rec, "MH-RETRY-1") >= 0);
        CHECK(find_call(&rec, "MH-INJ-2") >= 0);
        CHECK_FOLDER("INBOX", 0, 0);
        CHECK_FOLDER("Prahari-Processed", 6, 0);
        mail_poller_stop(p);

        /* without UID MOVE: COPY + \Deleted + UID EXPUNGE */
        record_free(&rec);
        cfg.use_move = false;
        p = mail_poller_new(&cfg, record_cb, &rec, err, sizeof err);
        CHECK(p != NULL);
        deliver_text("nomove1", ALLOWED "Subject: r\nMessage-ID: <nm-1@partner-reports.example>\n\n"
                                        REPORT_LINES("MH-NOMOVE-1"));
        deliver_text("nomove2", newsletter);
        CHECK_INT(mail_poller_poll_once(p, &st), 0);
        CHECK_INT(st.reports, 1);
        CHECK_INT(st.not_reports, 1);
        CHECK_FOLDER("INBOX", 0, 0);
        CHECK_FOLDER("Prahari-Processed", 7, 0);
        CHECK_FOLDER("Prahari-Not-Reports", 2, 2);
        mail_poller_stop(p);

        /* the thread API: a message delivered while it runs is picked up */
        record_free(&rec);
        cfg.poll_ms = 200;
        p = mail_poller_start(&cfg, record_cb, &rec, err, sizeof err);
        CHECK(p != NULL);
        deliver_text("thread", ALLOWED "Subject: r\nMessage-ID: <th-1@partner-reports.example>\n\n"
                                       REPORT_LINES("MH-THREAD-1"));
        for (int i = 0; i < 100 && __atomic_load_n(&rec.calls, __ATOMIC_ACQUIRE) == 0; i++)
                usleep(100 * 1000);
        mail_poller_stop(p);
        CHECK_INT(rec.calls, 1);
        CHECK_STR(rec.ids[0], "MH-THREAD-1");
        CHECK_FOLDER("Prahari-Processed", 8, 0);

        /* database down with four waiting: three tries, then the poll gives up */
        record_free(&rec);
        cfg.poll_ms = 5000;
        p = mail_poller_new(&cfg, record_cb, &rec, err, sizeof err);
        for (int i = 0; i < 4; i++) {
                char msg[1024], name[16];
                snprintf(name, sizeof name, "down%d", i);
                snprintf(msg, sizeof msg, ALLOWED "Subject: r\n\nReport ID: MH-DOWN-%d\nPlatform: Facebook\n"
                         "Risk level: High\nCategory: Suicide\nDetected: 2026-12-03 14:05 IST\n"
                         "Account ID: 1\nContent type: post\n", i);
                deliver_text(name, msg);
        }
        rec.fail = true;
        CHECK_INT(mail_poller_poll_once(p, &st), 0);
        CHECK_INT(st.found, 4);
        CHECK_INT(st.deferred, 3);
        CHECK_INT(rec.calls, 3);
        rec.fail = false;
        CHECK_INT(mail_poller_poll_once(p, &st), 0);
        CHECK_INT(st.reports, 4);
        CHECK_FOLDER("INBOX", 0, 0);
        CHECK_FOLDER("Prahari-Processed", 12, 0);
        mail_poller_stop(p);


        /* PRAHARI_EMAIL_AUTHSERV_ID: only mail our server authenticated is read */
        record_free(&rec);
        cfg.authserv_id = strdup("mx.police.example");
        p = mail_poller_new(&cfg, record_cb, &rec, err, sizeof err);
        deliver_text("forged", "Authentication-Results: mx.police.example; dmarc=fail "
                               "header.from=partner-reports.example\n"
                               "Authentication-Results: mx.police.example; dmarc=pass\n" ALLOWED
                               "Subject: r\n\n" REPORT_LINES("MH-FORGED-1"));
        deliver_text("signed", "Authentication-Results: mx.police.example; dkim=pass "
                               "header.d=partner-reports.example; dmarc=pass\n" ALLOWED
                               "Subject: r\n\n" REPORT_LINES("MH-SIGNED-1"));
        CHECK_INT(mail_poller_poll_once(p, &st), 0);
        CHECK_INT(st.rejected, 1);
        CHECK_INT(st.reports, 1);
        CHECK_INT(rec.calls, 1);
        CHECK_STR(rec.ids[0], "MH-SIGNED-1");
        CHECK_FOLDER("Prahari-Rejected", 2, 2);
        mail_poller_stop(p);
        free(cfg.authserv_id);
        cfg.authserv_id = NULL;

        /* TLS: STARTTLS required on imap://, then imaps://, both against the
         * test CA; without it the certificate is refused and nothing is read */
        const char *imaps = getenv("PRAHARI_TEST_IMAPS_URL"), *ca = getenv("PRAHARI_TEST_CA_FILE");
        CHECK(imaps && ca);
        if (imaps && ca) {
                record_free(&rec);
                cfg.starttls = true;
                p = mail_poller_new(&cfg, record_cb, &rec, err, sizeof err);
                deliver_text("tls0", ALLOWED "Subject: r\n\n" REPORT_LINES("MH-TLS-0"));
                CHECK_INT(mail_poller_poll_once(p, &st), -1); /* system CAs: refused */
                CHECK_INT(rec.calls, 0);
                mail_poller_stop(p);
                cfg.ca_file = strdup(ca);
                p = mail_poller_new(&cfg, record_cb, &rec, err, sizeof err);
                CHECK_INT(mail_poller_poll_once(p, &st), 0);
                CHECK_INT(st.reports, 1);
                mail_poller_stop(p);
                cfg.starttls = false;
                char *plain_url = cfg.url;
                cfg.url = strdup(imaps);
                p = mail_poller_new(&cfg, record_cb, &rec, err, sizeof err);
                deliver_text("tls1", ALLOWED "Subject: r\n\n" REPORT_LINES("MH-TLS-1"));
                CHECK_INT(mail_poller_poll_once(p, &st), 0);
                CHECK_INT(st.reports, 1);
                mail_poller_stop(p);
                CHECK_INT(rec.calls, 2);
                CHECK(find_call(&rec, "MH-TLS-0") >= 0 && find_call(&rec, "MH-TLS-1") >= 0);
                free(cfg.url);
                cfg.url = plain_url;
                free(cfg.ca_file);
                cfg.ca_file = NULL;
                CHECK_FOLDER("INBOX", 0, 0);
        }

        /* someone read the report in a mail client first (\Seen): UNSEEN
         * misses it, PRAHARI_IMAP_SEARCH=ALL does not */
        record_free(&rec);
        deliver_text("read", ALLOWED "Subject: r\n\n" REPORT_LINES("MH-READ-1"));
        CHECK_INT(imap_do("NOOP"), 0);
        CHECK_INT(imap_do("STORE 1:* +FLAGS (\\Seen)"), 0);
        CHECK_FOLDER("INBOX", 1, 0);
        p = mail_poller_new(&cfg, record_cb, &rec, err, sizeof err);
        CHECK_INT(mail_poller_poll_once(p, &st), 0);
        CHECK_INT(st.found, 0);
        mail_poller_stop(p);
        free(cfg.search);
        cfg.search = strdup("ALL");
        p = mail_poller_new(&cfg, record_cb, &rec, err, sizeof err);
        CHECK_INT(mail_poller_poll_once(p, &st), 0);
        CHECK_INT(st.found, 1);
        CHECK_INT(st.reports, 1);
        CHECK_INT(mail_poller_poll_once(p, &st), 0);
        CHECK_INT(st.found, 0);
        mail_poller_stop(p);
        CHECK_INT(rec.calls, 1);
        CHECK_FOLDER("INBOX", 0, 0);

        /* a wrong password: the poll fails, nothing is lost */
        free(cfg.password);
        cfg.password = strdup("wrong");
        record_free(&rec);
        p = mail_poller_new(&cfg, record_cb, &rec, err, sizeof err);
        deliver_text("wrongpw", ALLOWED "Subject: r\n\n" REPORT_LINES("MH-PW-1"));
        CHECK_INT(mail_poller_poll_once(p, &st), -1);
        CHECK_INT(st.errors, 1);
        CHECK_INT(rec.calls, 0);
        mail_poller_stop(p);
        CHECK_FOLDER("INBOX", 1, 1);

        record_free(&rec);
        mail_poller_cfg_free(&cfg);
        free(g_pass);
        free(e1);
        free(e2);
        free(inj);
        free(inj2);
        curl_global_cleanup();
        return test_summary("ingest_mail_imap");
}
