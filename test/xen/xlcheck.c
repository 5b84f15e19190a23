/*
 * Reads an xl domain config with Xen's own parser (libxlutil) and prints what
 * it understood as JSON, so tests can check that hvkit's rendering means what
 * it says. Disk specs also go through Xen's disk-spec parser (xlu_disk_parse).
 * Exit 1 with Xen's messages on stderr when the file does not parse.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxl.h>
#include <libxlutil.h>

static void json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

static void str_field(XLU_Config *cfg, const char *key, int *first) {
  const char *v;
  if (xlu_cfg_get_string(cfg, key, &v, 0)) return;
  printf("%s", *first ? "" : ","); *first = 0;
  json_string(key); putchar(':'); json_string(v);
}

static void long_field(XLU_Config *cfg, const char *key, int *first) {
  long v;
  if (xlu_cfg_get_long(cfg, key, &v, 0)) return;
  printf("%s", *first ? "" : ","); *first = 0;
  json_string(key); printf(":%ld", v);
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: xlcheck FILE\n"); return 2; }
  XLU_Config *cfg = xlu_cfg_init(stderr, argv[1]);
  if (!cfg) { perror("xlu_cfg_init"); return 2; }
  if (xlu_cfg_readfile(cfg, argv[1])) { xlu_cfg_destroy(cfg); return 1; }
  int first = 1;
  putchar('{');
  const char *strs[] = { "name", "type", "uuid", "kernel", "bootloader", "on_poweroff", "on_reboot", "on_crash", NULL };
  const char *longs[] = { "memory", "maxmem", "vcpus", "maxvcpus", "cpu_weight", "cap", NULL };
  for (int i = 0; strs[i]; i++) str_field(cfg, strs[i], &first);
  for (int i = 0; longs[i]; i++) long_field(cfg, longs[i], &first);
  const char *lists[] = { "disk", "vif", NULL };
  for (int i = 0; lists[i]; i++) {
    XLU_ConfigList *list; int n;
    if (xlu_cfg_get_list(cfg, lists[i], &list, &n, 0)) continue;
    printf("%s", first ? "" : ","); first = 0;
    json_string(lists[i]); printf(":[");
    for (int k = 0; k < n; k++) {
      const char *item = xlu_cfg_get_listitem(list, k);
      printf("%s", k ? "," : "");
      json_string(item ? item : "");
      if (!strcmp(lists[i], "disk") && item) {
        libxl_device_disk disk;
        libxl_device_disk_init(&disk);
        const char *specs[1] = { item };
        if (xlu_disk_parse(cfg, 1, specs, &disk)) { fprintf(stderr, "%s: bad disk spec: %s\n", argv[1], item); return 1; }
        libxl_device_disk_dispose(&disk);
      }
    }
    putchar(']');
  }
  printf("}\n");
  xlu_cfg_destroy(cfg);
  return 0;
}
