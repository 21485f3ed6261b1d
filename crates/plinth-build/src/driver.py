# plinth-build's PEP 517 driver. Run by the build environment's interpreter with the
# project directory as the working directory:
#
#     python -u driver.py INPUT.json
#
# INPUT.json: {"hook": "get_requires" | "metadata", "backend": "module:object",
#              "backend_path": [absolute dirs], "output_dir": dir, "result": file,
#              "hook_file": file}
#
# Writes the name of the hook it is about to call to `hook_file`, then its answer as
# JSON to `result`:
#   get_requires: {"requires": [...]}      (get_requires_for_build_wheel, [] when absent)
#   metadata:     {"metadata": path}       (prepare_metadata_for_build_wheel)
#              or {"wheel": path}          (build_wheel, when the backend has no prepare hook)
# A failing hook raises: the traceback goes to stderr and the exit code is not 0.

import importlib
import json
import os
import signal
import sys
import threading
import time


def watch_parent(workspace):
    # plinth starts this process in its own process group, so a Ctrl-C or a kill of plinth
    # does not reach it. When plinth goes away (we are re-parented), remove the build's
    # temporary directory, which plinth can no longer remove, and end the whole group.
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            try:
                import shutil

                if os.path.basename(workspace).startswith("plinth-build-"):
                    shutil.rmtree(workspace, ignore_errors=True)
                os.killpg(os.getpgid(0), signal.SIGKILL)
            finally:
                os._exit(1)


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as file:
        json.dump(value, file)


def load_backend(spec, backend_path):
    module_name, _, object_path = spec.partition(":")
    module_name = module_name.strip()
    if backend_path:
        sys.path[:0] = backend_path
    try:
        backend = importlib.import_module(module_name)
    except Exception:
        import traceback

        traceback.print_exc()
        sys.stderr.write("plinth: cannot import the build backend `%s`\n" % spec)
        sys.exit(3)
    if backend_path:
        # PEP 517: an in-tree backend must be loaded from `backend-path`.
        location = os.path.normcase(os.path.realpath(getattr(backend, "__file__", None) or ""))
        roots = [os.path.normcase(os.path.realpath(path)) for path in backend_path]
        if not any(location.startswith(root + os.sep) for root in roots):
            sys.stderr.write(
                "plinth: the build backend `%s` was loaded from `%s`, outside `backend-path`\n"
                % (spec, location)
            )
            sys.exit(3)
    for name in filter(None, object_path.strip().split(".")):
        backend = getattr(backend, name)
    return backend


def main():
    with open(sys.argv[1], encoding="utf-8") as file:
        config = json.load(file)
    if os.name == "posix":
        workspace = os.path.dirname(os.path.abspath(__file__))
        threading.Thread(target=watch_parent, args=(workspace,), daemon=True).start()
    # The driver's own directory is not part of the project.
    if sys.path and os.path.realpath(sys.path[0]) == os.path.realpath(os.path.dirname(__file__)):
        del sys.path[0]

    backend = load_backend(config["backend"], config["backend_path"])

    def call(name, hook, *arguments):
        write_json(config["hook_file"], {"hook": name})
        try:
            return hook(*arguments)
        except BaseException:
            # The backend's frames only: the driver's are noise in an error message.
            import traceback

            kind, value, trace = sys.exc_info()
            traceback.print_exception(kind, value, trace.tb_next)
            sys.exit(1)

    if config["hook"] == "get_requires":
        hook = getattr(backend, "get_requires_for_build_wheel", None)
        requires = []
        if hook is not None:
            returned = call("get_requires_for_build_wheel", hook, None)
            requires = [str(requirement) for requirement in returned]
        write_json(config["result"], {"requires": requires})
    elif config["hook"] == "metadata":
        output_dir = config["output_dir"]
        hook = getattr(backend, "prepare_metadata_for_build_wheel", None)
        if hook is not None:
            name = call("prepare_metadata_for_build_wheel", hook, output_dir, None)
            write_json(config["result"], {"metadata": os.path.join(output_dir, name, "METADATA")})
        else:
            name = call("build_wheel", backend.build_wheel, output_dir, None)
            write_json(config["result"], {"wheel": os.path.join(output_dir, name)})
    else:
        sys.stderr.write("plinth: unknown hook %r\n" % config["hook"])
        sys.exit(3)


if __name__ == "__main__":
    main()
