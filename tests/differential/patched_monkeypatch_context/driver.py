import test_jobs

print(test_jobs.run_patched())
