-- Dispatch: reminders ride on their invitation's row. `next_reminder_at` says when the next
-- reminder is due (NULL: none), `reminder_in_flight` which reminder a dispatcher holds under
-- its lease, so a crashed dispatcher's reminder is taken over like an invitation.
ALTER TABLE invitations ADD COLUMN next_reminder_at BIGINT;
ALTER TABLE invitations ADD COLUMN reminder_in_flight BIGINT;
ALTER TABLE invitations ADD COLUMN reminder_attempts BIGINT NOT NULL DEFAULT 0;
-- Whether the current claim took over an unresolved one (a crashed or paused dispatcher's).
ALTER TABLE invitations ADD COLUMN taken_over BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX invitations_reminders_due ON invitations (state, next_reminder_at);

-- Which message an event is about: 0 the invitation, N the Nth reminder.
ALTER TABLE invitation_events ADD COLUMN message BIGINT NOT NULL DEFAULT 0;
