/* Protection against CVE-2019-5736 (a container overwriting the host's runtime binary).
 * hako-init enters the container's namespaces, so a process in there can reach it through
 * /proc/<pid>/exe (or make it execute "#!/proc/self/exe") and, once it has exited, open that for
 * writing: the host file. So before doing anything, hako-init copies itself into a sealed memfd and
 * re-executes from it, as runc does: /proc/self/exe is then a read-only, unlinked copy, and writing to
 * it can change nothing on the host. Costs one small copy and one execve. */
#include "hako-init.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

extern char **environ;

static int running_from_sealed_copy(void) {
  int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  int seals = fcntl(fd, F_GET_SEALS);
  close(fd);
  return seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL);
}

void ensure_cloned_binary(char **argv) {
  if (running_from_sealed_copy()) return;
  int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0) fail_errno("cloned_binary", "open /proc/self/exe");
  struct stat st;
  if (fstat(self, &st) < 0) fail_errno("cloned_binary", "stat /proc/self/exe");
  int mem = memfd_create("hako-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mem < 0) fail_errno("cloned_binary", "memfd_create");
  for (off_t done = 0; done < st.st_size;) {
    ssize_t n = sendfile(mem, self, NULL, (size_t)(st.st_size - done));
    if (n <= 0) fail_errno("cloned_binary", "copy");
    done += n;
  }
  close(self);
  if (fcntl(mem, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
    fail_errno("cloned_binary", "seal");
  fexecve(mem, argv, environ);
  fail_errno("cloned_binary", "fexecve");
}
