-- How far the merged pulls of a stream reach (no row: never merged).
SELECT marks.pulled_to FROM sync.pulled_until AS marks WHERE marks.stream = %(stream)s
