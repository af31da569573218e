"""Helpers shared by the fixture generators in this folder (imported as a sibling module)."""
import sys


def sparse_layers(cfg) -> list[int]:
    # Mirrors Qwen3MoeDecoderLayer.__init__ (generate_model_fixtures.py asserts it against the built modules).
    return [
        i
        for i in range(cfg.num_hidden_layers)
        if i not in cfg.mlp_only_layers and cfg.num_experts > 0 and (i + 1) % cfg.decoder_sparse_step == 0
    ]


def check_versions(versions: dict, pinned: dict, allow_mismatch: bool) -> bool:
    """Prints the versions; False (after an error message) when they differ from the pins and that is not allowed."""
    print("versions:", versions, "python", sys.version.split()[0])
    if versions != pinned:
        msg = f"library versions {versions} differ from the pinned {pinned}"
        if not allow_mismatch:
            print("error:", msg, "(use --allow-version-mismatch to proceed)", file=sys.stderr)
            return False
        print("warning:", msg)
    return True
