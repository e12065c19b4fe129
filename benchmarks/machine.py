"""Which machine a benchmark ran on, for the JSON results and the README tables.

Ratios and times differ between CPUs, and this project's runs have come from an Intel
Xeon and from two generations of AMD EPYC that /proc/cpuinfo names alike ("AMD EPYC"), so
the description adds what tells them apart: the x86-64 family and model numbers, the
widest vector extension and the L2 cache per core, e.g.

    AMD EPYC (family 25 model 17, AVX-512, 1024K L2 per core), 2 cores
"""
import os
import platform


def _cpuinfo():
    """The fields of the first processor in /proc/cpuinfo (empty when unreadable)."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        pass
    return fields


def _l2_per_core():
    """Size of core 0's level-2 cache as sysfs gives it ("1024K"), or None."""
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for index in sorted(os.listdir(base)):
            with open(os.path.join(base, index, "level")) as f:
                if f.read().strip() != "2":
                    continue
            with open(os.path.join(base, index, "size")) as f:
                return f.read().strip()
    except OSError:
        pass
    return None


def cpu_description():
    """CPU model name, with family/model, vector extension and L2 size where known."""
    info = _cpuinfo()
    name = info.get("model name") or platform.processor() or platform.machine() or "unknown"
    details = []
    if "cpu family" in info and "model" in info:
        details.append(f"family {info['cpu family']} model {info['model']}")
    flags = set(info.get("flags", "").split())
    if "avx512f" in flags:
        details.append("AVX-512")
    elif "avx2" in flags:
        details.append("AVX2")
    l2 = _l2_per_core()
    if l2:
        details.append(f"{l2} L2 per core")
    return f"{name} ({', '.join(details)})" if details else name


def machine_description():
    """`cpu_description()` and the number of cores."""
    return f"{cpu_description()}, {os.cpu_count()} cores"


if __name__ == "__main__":
    print(machine_description())
