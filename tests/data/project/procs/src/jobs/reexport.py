import jobs

jobs.run_everything()  # expect: CCL303
