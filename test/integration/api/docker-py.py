# The Python `docker` package (Debian's python3-docker) against DOCKER_HOST, as its users call it:
# nothing here knows it talks to hako. Each step prints one JSON line the test reads.
#   docker-py.py pull REF          pull REF (registry/repo:tag), list images
#   docker-py.py run REF           run a container from REF, wait for it, read its output, remove it
#   docker-py.py build TAG         build TAG from a context in memory, return its id and labels
import io
import json
import sys
import tarfile

import docker


def say(**kv):
    print(json.dumps(kv), flush=True)


def pull(client, ref):
    repo, tag = ref.rsplit(':', 1)
    img = client.images.pull(repo, tag=tag)
    say(step='pull', id=img.id, tags=img.tags)
    say(step='list', tags=sorted(t for i in client.images.list() for t in i.tags))


def run(client, ref):
    c = client.containers.run(ref, ['sh', '-c', 'echo hello from $(hostname) in python'], detach=True)
    status = c.wait()
    say(step='run', output=c.logs().decode(), status=status['StatusCode'])
    c.remove()
    left = [c.id for c in client.containers.list(all=True)]
    say(step='left', containers=left)


def build(client, tag):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as t:
        files = {
            'Dockerfile': b'FROM hako.local/busybox\nARG WHO=nobody\nRUN echo "built for $WHO" > /built\nCMD ["cat", "/built"]\n',
        }
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            t.addfile(info, io.BytesIO(content))
    buf.seek(0)
    img, logs = client.images.build(fileobj=buf, custom_context=True, tag=tag, buildargs={'WHO': 'python'}, labels={'via': 'docker-py'})
    say(step='build', id=img.id, tags=img.tags, labels=img.labels, lines=len(list(logs)))


client = docker.from_env()
say(step='ping', ok=client.ping(), api=client.api._version)
{'pull': pull, 'run': run, 'build': build}[sys.argv[1]](client, sys.argv[2])
