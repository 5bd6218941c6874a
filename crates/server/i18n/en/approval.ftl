approval-state-open = changes in progress
approval-state-pending = awaiting approval
approval-state-approved = approved
approval-state-rejected = rejected
approval-state-withdrawn = withdrawn
