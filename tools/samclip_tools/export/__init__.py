"""The bundle exporter: `python3 -m samclip_tools.export --help`."""

from .bundle import KIND_ROLES, export_bundle
from .graphs import OPSET, role_specs

__all__ = ["KIND_ROLES", "OPSET", "export_bundle", "role_specs"]
