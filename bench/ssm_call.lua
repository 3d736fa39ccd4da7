-- wrk script: one SSM call over keep-alive HTTP, repeated.
-- Arguments (after `--`): operation, JSON body, Authorization header, X-Amz-Date header.
-- bench/load.py passes them from bench/wire.py so raw and boto3 requests look alike.
function init(args)
   wrk.method = "POST"
   wrk.path = "/"
   wrk.body = args[2]
   wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
   wrk.headers["X-Amz-Target"] = "AmazonSSM." .. args[1]
   wrk.headers["Authorization"] = args[3]
   wrk.headers["X-Amz-Date"] = args[4]
end
