import jobs.runner as r

r.launch()  # expect: CCL303
