/*
 * test_config_files.c - config_load trusts only files that root or posterm's user alone can
 * change (OpenSSH's StrictModes): the config itself, the CA file, a pinned key file and the
 * enabled gateways' public keys, each with every folder on its way. A scratch folder under
 * /tmp gets files and folders with bad modes, links, and (as root) another owner.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "config.h"

#define OTHER_UID 65534 /* nobody */

static char dir[64];

static void path_of(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
    char p[256];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "w");
    if (f == NULL) {
        fprintf(stderr, "cannot write %s: %s\n", p, strerror(errno));
        exit(2);
    }
    fputs(text, f);
    fclose(f);
    chmod(p, mode);
}

static void mode_of(const char *name, mode_t mode)
{
    char p[256];
    path_of(p, sizeof p, name);
    CHECK(chmod(p, mode) == 0);
}

/* The config in dir/etc/posterm.json; a NULL key file name leaves that key out. */
static void write_config(const char *ca_file, const char *pinned, const char *alipay_pub,
                         const char *wechat_pub, bool alipay_on)
{
    char text[4096], ca[256] = "", pin[256] = "", ap[256], wp[256];
    if (ca_file)
        path_of(ca, sizeof ca, ca_file);
    if (pinned)
        snprintf(pin, sizeof pin, "%s", pinned);
    path_of(ap, sizeof ap, alipay_pub);
    path_of(wp, sizeof wp, wechat_pub);
    snprintf(text, sizeof text,
             "{\"terminal_id\": \"T1\", \"journal\": \"%s/journal.db\",\n"
             " \"http\": {\"ca_file\": \"%s\", \"pinned_public_key\": \"%s\"},\n"
             " \"alipay\": {\"enabled\": %s, \"gateway_url\": "
             "\"https://openapi.alipay.com/gateway.do\",\n"
             "   \"app_id\": \"2021\", \"private_key_file\": \"%s/keys/a.key\",\n"
             "   \"alipay_public_key_file\": \"%s\"},\n"
             " \"wechat\": {\"enabled\": true, \"base_url\": \"https://api.mch.weixin.qq.com\",\n"
             "   \"appid\": \"wx1\", \"mchid\": \"19\", \"merchant_serial\": \"S\",\n"
             "   \"private_key_file\": \"%s/keys/w.key\", \"platform_public_key_file\": \"%s\",\n"
             "   \"platform_serial\": \"P\", \"apiv3_key_file\": \"%s/keys/w.v3\"}}\n",
             dir, ca, pin, alipay_on ? "true" : "false", dir, ap, dir, wp, dir);
    write_file("etc/posterm.json", text, 0640);
}

static void default_config(void)
{
    write_config("etc/ca.pem", NULL, "keys/a.pub", "keys/w.pub", true);
}

static bool load(char *err, size_t errlen)
{
    char p[256];
    struct config cfg;
    path_of(p, sizeof p, "etc/posterm.json");
    config_defaults(&cfg);
    return config_load(&cfg, p, err, errlen);
}

static void expect_ok(const char *what)
{
    char err[1024];
    if (load(err, sizeof err)) {
        check_passed++;
    } else {
        check_failed++;
        fprintf(stderr, "  %s: refused: %s\n", what, err);
    }
}

/* Refused, and the message has each of the wanted pieces (NULL ends the list). */
static void expect_refused(const char *what, const char *want1, const char *want2)
{
    char err[1024];
    if (load(err, sizeof err)) {
        check_failed++;
        fprintf(stderr, "  %s: loaded, should be refused\n", what);
        return;
    }
    if (strstr(err, want1) == NULL || (want2 && strstr(err, want2) == NULL)) {
        check_failed++;
        fprintf(stderr, "  %s: wanted \"%s\"%s%s%s in \"%s\"\n", what, want1,
                want2 ? " and \"" : "", want2 ? want2 : "", want2 ? "\"" : "", err);
        return;
    }
    check_passed++;
    printf("%s: %s\n", what, err);
}

/* "DIR/name" in a static buffer, for the wanted pieces of a message. */
static const char *full(const char *name)
{
    static char bufs[4][256];
    static int next;
    char *b = bufs[next++ % 4];
    path_of(b, sizeof bufs[0], name);
    return b;
}

static void modes(void)
{
    default_config();
    expect_ok("every file 0644 or 0640, every folder 0755 or 0700, under /tmp");

    /* The config itself. */
    mode_of("etc/posterm.json", 0660);
    expect_refused("config g+w", "etc/posterm.json: the file ",
                   "may be written by group or others");
    mode_of("etc/posterm.json", 0642);
    expect_refused("config o+w", "etc/posterm.json: the file ", "(uid");
    mode_of("etc/posterm.json", 0640);
    mode_of("etc", 0775);
    expect_refused("config's folder g+w", "the folder ", "lets group or others write in it");
    {
        char err[1024];
        CHECK(!load(err, sizeof err) && strstr(err, full("etc")) && strstr(err, "chmod go-w"));
    }
    mode_of("etc", 0755);
    /* A folder above the one holding the file counts as much. */
    mode_of("", 0777);
    expect_refused("the scratch folder itself o+w", "etc/posterm.json: the folder ", dir);
    mode_of("", 0700);
    expect_ok("back to safe modes");

    /* The CA file and the public keys: the message names the key. */
    mode_of("etc/ca.pem", 0664);
    expect_refused("CA file g+w", "etc/posterm.json: http.ca_file: the file ", full("etc/ca.pem"));
    mode_of("etc/ca.pem", 0644);
    mode_of("keys/a.pub", 0646);
    expect_refused("Alipay public key o+w", "alipay.alipay_public_key_file: the file ",
                   "may be written by group or others");
    mode_of("keys/a.pub", 0644);
    mode_of("keys", 0775);
    expect_refused("keys folder g+w", "alipay.alipay_public_key_file: the folder ", full("keys"));
    mode_of("keys", 0755);
    mode_of("keys/w.pub", 0666);
    expect_refused("WeChat public key a+w", "wechat.platform_public_key_file: the file ", "0666");
    mode_of("keys/w.pub", 0644);
    expect_ok("back to safe modes");

    /* A disabled channel's key is not read, so not judged. */
    mode_of("keys/a.pub", 0666);
    write_config("etc/ca.pem", NULL, "keys/a.pub", "keys/w.pub", false);
    expect_ok("Alipay off, its key o+w");
    write_config("etc/ca.pem", NULL, "keys/a.pub", "keys/w.pub", true);
    expect_refused("Alipay on again", "alipay.alipay_public_key_file", "0666");
    mode_of("keys/a.pub", 0644);

    /* Readable by everyone is fine for what is public; secrets are the gateway's check. */
    mode_of("keys/w.pub", 0444);
    expect_ok("public key 0444");
    mode_of("keys/w.pub", 0644);

    /* No CA file named: nothing to check. A missing one is said plainly. */
    write_config(NULL, NULL, "keys/a.pub", "keys/w.pub", true);
    expect_ok("no ca_file");
    write_config("etc/nothing.pem", NULL, "keys/a.pub", "keys/w.pub", true);
    expect_refused("ca_file missing", "http.ca_file: ", "No such file or directory");
    write_config("keys", NULL, "keys/a.pub", "keys/w.pub", true);
    expect_refused("ca_file a folder", "http.ca_file: ", "not a regular file");

    /* A pinned key given as a file is a trust anchor too; a hash is not a file. */
    char pinned[256];
    path_of(pinned, sizeof pinned, "etc/ca.pem");
    write_config(NULL, pinned, "keys/a.pub", "keys/w.pub", true);
    mode_of("etc/ca.pem", 0646);
    expect_refused("pinned key file o+w", "http.pinned_public_key: the file ", "0646");
    write_config(NULL, "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=", "keys/a.pub",
                 "keys/w.pub", true);
    expect_ok("pinned key as a hash");
    mode_of("etc/ca.pem", 0644);
    default_config();
}

static void links(void)
{
    char target[256], link[256];
    /* A link in a safe folder to a safe file: followed and accepted. */
    path_of(target, sizeof target, "keys/w.pub");
    path_of(link, sizeof link, "etc/w-link.pub");
    CHECK(symlink(target, link) == 0);
    write_config("etc/ca.pem", NULL, "keys/a.pub", "etc/w-link.pub", true);
    expect_ok("link to a safe file");

    /* The same link in a folder others may write: they could point it anywhere. */
    CHECK(mkdir(full("open"), 0755) == 0);
    path_of(link, sizeof link, "open/w-link.pub");
    CHECK(symlink(target, link) == 0);
    mode_of("open", 0777);
    write_config("etc/ca.pem", NULL, "keys/a.pub", "open/w-link.pub", true);
    expect_refused("link in an open folder", "wechat.platform_public_key_file: the folder ",
                   full("open"));

    /* A relative link resolved against its own folder, through .. */
    path_of(link, sizeof link, "etc/rel-link.pub");
    CHECK(symlink("../keys/w.pub", link) == 0);
    write_config("etc/ca.pem", NULL, "keys/a.pub", "etc/rel-link.pub", true);
    expect_ok("relative link");
    /* ...whose target is then judged as any file. */
    mode_of("keys/w.pub", 0664);
    expect_refused("relative link to a g+w file", "the file ", full("keys/w.pub"));
    mode_of("keys/w.pub", 0644);

    /* A folder reached through a link is judged where it really is. */
    path_of(target, sizeof target, "open");
    path_of(link, sizeof link, "etc/to-open");
    CHECK(symlink(target, link) == 0);
    write_file("open/c.pem", "x\n", 0644);
    write_config("etc/to-open/c.pem", NULL, "keys/a.pub", "keys/w.pub", true);
    expect_refused("file under a linked open folder", "http.ca_file: the folder ", full("open"));
    mode_of("open", 0755);
    expect_ok("the linked folder made safe");

    /* A loop of links ends with a message, not a hang. */
    path_of(link, sizeof link, "etc/loop");
    CHECK(symlink("loop", link) == 0);
    write_config("etc/loop", NULL, "keys/a.pub", "keys/w.pub", true);
    expect_refused("link loop", "http.ca_file: ", "too many symbolic links");
    default_config();
}

/* A sticky folder owned by root that everyone may write (/tmp) holds trusted files safely:
 * nobody else may rename or remove what belongs to root or to us. Without the sticky bit,
 * or owned by anyone else, it is refused. */
static void sticky(void)
{
    CHECK(mkdir(full("shared"), 0755) == 0);
    write_file("shared/w.pub", "x\n", 0644);
    write_config("etc/ca.pem", NULL, "keys/a.pub", "shared/w.pub", true);
    mode_of("shared", 01777);
    if (geteuid() == 0) {
        expect_ok("sticky, world-writable, root's");
    } else {
        expect_refused("sticky, world-writable, not root's", "the folder ",
                       "lets group or others write");
        printf("sticky folder owned by root: not tried (needs root to own it)\n");
    }
    mode_of("shared", 0777);
    expect_refused("world-writable, not sticky", "the folder ", full("shared"));
    mode_of("shared", 0755);
    default_config();
}

static void owners(void)
{
    if (geteuid() != 0) {
        printf("SKIP files of another user: chown to uid %d needs root (uid %u here)\n", OTHER_UID,
               (unsigned)geteuid());
        return;
    }
    default_config();
    CHECK(chown(full("etc/ca.pem"), OTHER_UID, OTHER_UID) == 0);
    expect_refused("CA file of another user", "http.ca_file: the file ", "belongs to another user");
    CHECK(chown(full("etc/ca.pem"), 0, 0) == 0);

    CHECK(chown(full("keys/w.pub"), OTHER_UID, OTHER_UID) == 0);
    expect_refused("WeChat public key of another user",
                   "wechat.platform_public_key_file: ", "uid 65534");
    CHECK(chown(full("keys/w.pub"), 0, 0) == 0);

    CHECK(chown(full("keys"), OTHER_UID, OTHER_UID) == 0);
    expect_refused("keys folder of another user", "the folder ", "belongs to another user");
    CHECK(chown(full("keys"), 0, 0) == 0);

    CHECK(chown(full("etc/posterm.json"), OTHER_UID, OTHER_UID) == 0);
    expect_refused("config of another user", "etc/posterm.json: the file ",
                   "belongs to another user");
    CHECK(chown(full("etc/posterm.json"), 0, 0) == 0);

    /* A link another user made could be swapped by them. */
    char link[256];
    path_of(link, sizeof link, "etc/their-link.pub");
    CHECK(symlink(full("keys/w.pub"), link) == 0);
    CHECK(lchown(link, OTHER_UID, OTHER_UID) == 0);
    write_config("etc/ca.pem", NULL, "keys/a.pub", "etc/their-link.pub", true);
    expect_refused("link of another user", "the link ", "belongs to another user");

    default_config();
    expect_ok("all root's again");
}

static void relative(void)
{
    /* A relative name is judged from / through the current folder. */
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK(chdir(dir) == 0);
    struct config cfg;
    char err[1024];
    config_defaults(&cfg);
    CHECK(config_load(&cfg, "etc/posterm.json", err, sizeof err));
    mode_of("", 0770);
    config_defaults(&cfg);
    CHECK(!config_load(&cfg, "etc/posterm.json", err, sizeof err) && strstr(err, dir));
    mode_of("", 0700);
    CHECK(chdir(cwd) == 0);
}

int main(void)
{
    umask(022);
    snprintf(dir, sizeof dir, "/tmp/posterm-cfgfiles-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    CHECK(mkdir(full("etc"), 0755) == 0);
    CHECK(mkdir(full("keys"), 0755) == 0);
    write_file("etc/ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
    write_file("keys/a.pub", "-----BEGIN PUBLIC KEY-----\n", 0644);
    write_file("keys/w.pub", "-----BEGIN PUBLIC KEY-----\n", 0644);

    modes();
    links();
    sticky();
    owners();
    relative();

    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_done();
}
