-- How many linked records a stream has (the subquery: one of the files beside this one).
SELECT count(*) FROM ({linked}) AS linked
