import { ErrorCode } from '../core/errors.js';

/** Exit statuses: 1 generic failure, 2 usage/config, 3 not found, 4 busy/conflict, 5 unsafe or bad input, 6 unavailable, 125 a container that could not start (Docker's). */
export function exitStatusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.EUSAGE:
    case ErrorCode.ECONFIG:
    case ErrorCode.EINVALID:
      return 2;
    case ErrorCode.ENOIMAGE:
    case ErrorCode.ENOCONTAINER:
    case ErrorCode.ENOLAYER:
    case ErrorCode.ENOTFOUND:
    case ErrorCode.EAMBIGUOUS:
      return 3;
    case ErrorCode.ELAYERBUSY:
    case ErrorCode.ELAYERHASCHILDREN:
    case ErrorCode.ELAYEREXISTS:
    case ErrorCode.ELOCKED:
    case ErrorCode.ECONFLICT:
      return 4;
    case ErrorCode.EUNSAFEARCHIVE:
    case ErrorCode.EBADARCHIVE:
    case ErrorCode.ECORRUPT:
      return 5;
    case ErrorCode.EDRIVERUNAVAILABLE:
    case ErrorCode.EUNKNOWNDRIVER:
    case ErrorCode.EUNSUPPORTED:
    case ErrorCode.EPRIVILEGE:
      return 6;
    case ErrorCode.ESTART:
      return 125;
    default:
      return 1;
  }
}
