-- The people scope `all`: nobody is outside it, so the list of people outside the scope
-- services_active (scope_marks.sql) is empty (a no-op for a church that never used it).
DELETE FROM sync.people_out_of_scope;
