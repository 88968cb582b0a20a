from jobs.tasks import run_all

if __name__ == "__main__":
    run_all()
