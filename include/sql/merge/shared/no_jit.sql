-- No JIT compilation in a merge: its statements run once each, and a first sync's
-- estimates (jsonb_array_elements counts 100 items a record) put them far above
-- jit_above_cost, where compiling alone took 0.5 to 1.2 s of a 20 s merge of 100,000 people.
SET LOCAL jit = off;
