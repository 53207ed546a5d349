from svc.jobs import Jobs


def run(name, arg):
    jobs = Jobs()
    return getattr(jobs, "job_" + name)(arg)
