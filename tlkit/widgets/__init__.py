"""ipywidgets apps for the notebooks, and the self-checks of their exercises.

Widgets hold wiring only: handlers call pure functions from the domain packages and write results
into widget values (never ``print``), so notebooks stay stable under nbval and the apps can be
tested by setting ``.value`` and calling ``.click()`` without a browser. The apps live in their own
modules (``tlkit.widgets.quote_lab``, ...); this package exports the exercise self-checks
(:class:`SelfCheck` and one ``check_*`` function per exercise), which never raise.
"""

from tlkit.widgets._exercise import (
    NOT_ANSWERED,
    SelfCheck,
    check_alerted_vms,
    check_attestation_codes,
    check_extend_order,
    check_pcr_value,
    check_scenario_effect,
    check_soc_alerts_per_day,
    check_vm_fix,
)

__all__ = [
    "NOT_ANSWERED",
    "SelfCheck",
    "check_alerted_vms",
    "check_attestation_codes",
    "check_extend_order",
    "check_pcr_value",
    "check_scenario_effect",
    "check_soc_alerts_per_day",
    "check_vm_fix",
]
