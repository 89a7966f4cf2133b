-- Satisfaction ratings are events of kind 'rated'. The weekly summary
-- reads the ratings given since a window's start (of the tickets opened in
-- it) through this index, beside each ticket's usual line.
CREATE INDEX ticket_events_rated ON ticket_events (at) WHERE kind = 'rated';
