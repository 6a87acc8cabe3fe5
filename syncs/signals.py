"""What the sync engine announces, for apps that want to react (partner webhooks).

Each signal is sent inside the transaction of the change it announces, with ids only; a
receiver that writes rows commits or rolls back with that change. The engine never imports
its listeners (partner_hooks connects in its AppConfig.ready).
"""

from __future__ import annotations

from django.dispatch import Signal

# A SyncRun reached a final state (succeeded or failed). kwargs: run_id.
sync_finished = Signal()
# Documents that a posting step left needing a person (QuickBooks refused them, or a number
# clash). kwargs: document_ids.
problem_raised = Signal()
# A tie-out (clearing account or paid payout) that held at its last check no longer does.
# kwargs: reconciliation_id.
tie_out_broken = Signal()
