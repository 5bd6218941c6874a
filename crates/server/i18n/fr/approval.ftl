approval-state-open = modifications en cours
approval-state-pending = en attente de validation
approval-state-approved = validée
approval-state-rejected = refusée
approval-state-withdrawn = retirée
