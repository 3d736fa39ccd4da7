"""Write emulator/parameter_store/data/global_infrastructure.json from botocore's region data.

Parameter Store's public parameters under /aws/service/global-infrastructure/ describe AWS's
regions and which services each offers. botocore ships the same facts (endpoints.json and the
service models' metadata), but it is a test dependency only, so the emulator reads a snapshot
vendored by this script. Run it after bumping botocore:

    python tools/snapshot_public_parameters.py
"""
from __future__ import annotations

import json
from pathlib import Path

import botocore
from botocore.loaders import Loader

OUT = Path(__file__).resolve().parent.parent / "emulator" / "parameter_store" / "data" / "global_infrastructure.json"


def main() -> None:
    loader = Loader()
    endpoints = loader.load_data("endpoints")
    full_names: dict[str, str] = {}
    for service in sorted(loader.list_available_services("service-2")):
        metadata = loader.load_service_model(service, "service-2").get("metadata", {})
        prefix = metadata.get("endpointPrefix")
        if prefix and prefix not in full_names and metadata.get("serviceFullName"):
            full_names[prefix] = metadata["serviceFullName"]

    regions: dict[str, list[str]] = {}
    services: dict[str, list[object]] = {}
    for part in endpoints["partitions"]:
        for code, info in sorted(part["regions"].items()):
            regions[code] = [info.get("description", code), part["partition"], part["dnsSuffix"]]
        for prefix, spec in sorted(part["services"].items()):
            offered = sorted(r for r in spec.get("endpoints", {}) if r in part["regions"])
            if not offered:
                continue
            entry = services.setdefault(prefix, [full_names.get(prefix, prefix), []])
            entry[1] = sorted(set(entry[1]) | set(offered))

    region_codes = sorted(regions)
    index = {code: i for i, code in enumerate(region_codes)}
    snapshot = {
        "source": f"botocore {botocore.__version__} endpoints.json and service metadata",
        "regions": {code: regions[code] for code in region_codes},  # code -> [longName, partition, domain]
        "region_order": region_codes,
        # prefix -> [longName, [indexes into region_order]]
        "services": {p: [name, [index[r] for r in rs]] for p, (name, rs) in sorted(services.items())},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(snapshot, separators=(",", ":"), sort_keys=False) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(regions)} regions, {len(services)} services)")


if __name__ == "__main__":
    main()
