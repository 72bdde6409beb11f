#!/usr/bin/env python3
"""The real huggingface_hub client's side of Loom's Hub interop tests and Benchmarks/pull.

Run with the .venv-hub python (Scripts/hub-venv), HF_ENDPOINT pointing at the tests' Hub-shaped server
and HF_HUB_CACHE at the cache under test:
  hub_interop.py download REPO [REVISION]   snapshot_download; prints the snapshot folder
  hub_interop.py find REPO [REVISION]       snapshot_download(local_files_only=True); prints the folder
  hub_interop.py fetch REPO FILE            hf_hub_download of one file; prints seconds taken and the path
"""
import sys
import time

from huggingface_hub import hf_hub_download, snapshot_download


def main() -> None:
    command, repo = sys.argv[1], sys.argv[2]
    if command == "download":
        print(snapshot_download(repo, revision=sys.argv[3] if len(sys.argv) > 3 else None))
    elif command == "find":
        print(snapshot_download(repo, revision=sys.argv[3] if len(sys.argv) > 3 else None, local_files_only=True))
    elif command == "fetch":
        start = time.perf_counter()
        path = hf_hub_download(repo, sys.argv[3])
        print(f"{time.perf_counter() - start:.3f} {path}")
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
