"""propose/: parts of a mesh worth a stamp, found by their necks, as ranked selection records.

Entry points (loaded on first use): `propose(mesh, ProposeConfig) -> ProposalSet` (ranked,
lassoed, stitch-checked) and `write_proposals(found, out, config)` (records and their index,
vdm/proposal_index.py, which the lasso's review mode reads).
"""

from typing import TYPE_CHECKING

from vdm.lazy import lazy_exports

if TYPE_CHECKING:
    from vdm.propose.config import ProposeConfig
    from vdm.propose.proposals import propose, write_proposals

__all__ = ["ProposeConfig", "propose", "write_proposals"]
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ProposeConfig": "vdm.propose.config",
        "propose": "vdm.propose.proposals",
        "write_proposals": "vdm.propose.proposals",
    },
)
